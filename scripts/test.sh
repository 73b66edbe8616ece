#!/usr/bin/env bash
# The whole test suite, as CI runs it: MariaDB present (installed from Debian packages when
# missing), one type-check of every TypeScript file, lint and format checks, then jest (which
# starts its own MariaDB).
#
# The type-check and eslint share one TypeScript program (scripts/typecheck-and-lint.mjs: what
# `tsc --noEmit` and `eslint .` report, for about 52 CPU seconds instead of 82 apart); prettier
# runs after them in the same lane. That lane starts first, beside the MariaDB install (mostly
# waiting on the package mirror and dpkg on a fresh machine) and then jest, its output kept and
# printed after jest's, and the suite fails if any of them fails.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
[ -d node_modules ] || npm ci --no-audit --no-fund

checks=$(mktemp -d "${TMPDIR:-/tmp}/clinspark-checks-XXXXXX")
trap 'rm -rf "$checks"' EXIT

# check <name> <command...>: runs the command, its output in $checks/<name>.log, its exit code in $checks/<name>.rc.
check() {
  local name=$1 began
  shift
  began=$(date +%s)
  set +e
  "$@" > "$checks/$name.log" 2>&1
  echo $? > "$checks/$name.rc"
  set -e
  echo $(($(date +%s) - began)) > "$checks/$name.s"
}

echo "test: the type-check, eslint and prettier --check in the background; MariaDB, then jest, now" >&2
{
  check typecheck-and-lint node scripts/typecheck-and-lint.mjs
  check prettier npx prettier --check .
} &
checks_lane=$!

set +e
if bash scripts/ensure-mariadb.sh; then
  npx jest "$@"
  jest_rc=$?
else
  jest_rc=1
  echo "test: MariaDB is not available (above), so jest did not run" >&2
fi
set -e
wait "$checks_lane" || true

failed=0
[ "$jest_rc" -eq 0 ] || failed=1
for name in typecheck-and-lint prettier; do
  rc=$(cat "$checks/$name.rc" 2> /dev/null || echo 1)
  if [ "$rc" -eq 0 ]; then
    echo "test: $name passed ($(cat "$checks/$name.s") s)" >&2
  else
    failed=1
    echo "test: $name FAILED (exit $rc):" >&2
    if [ "$name" = prettier ]; then grep -v '^Checking formatting' "$checks/$name.log" >&2 || true; else cat "$checks/$name.log" >&2; fi
  fi
done
[ "$jest_rc" -eq 0 ] || echo "test: jest FAILED or did not run (exit $jest_rc; see above)" >&2
echo "test: whole suite took $(($(date +%s) - start)) s" >&2
exit "$failed"
