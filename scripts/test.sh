#!/usr/bin/env bash
# The whole test suite, as CI runs it: MariaDB present (installed from Debian packages when
# missing), one type-check of every TypeScript file, lint and format checks, then jest (which
# starts its own MariaDB).
#
# tsc, eslint and prettier are single-threaded and take about a minute and a half of CPU together;
# run one after the other before jest they left a core idle that long. They run beside jest
# instead (eslint, the longest, in one lane; tsc then prettier in another), their output kept and
# printed after jest's, and the suite fails if any of the four fails.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-mariadb.sh

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

echo "test: tsc --noEmit, eslint and prettier --check in the background; jest now" >&2
check eslint npx eslint . &
lint_lane=$!
{
  check tsc npx tsc --noEmit -p tsconfig.json
  check prettier npx prettier --check .
} &
type_lane=$!

set +e
npx jest "$@"
jest_rc=$?
set -e
wait "$lint_lane" "$type_lane" || true

failed=0
[ "$jest_rc" -eq 0 ] || failed=1
for name in tsc eslint prettier; do
  rc=$(cat "$checks/$name.rc" 2> /dev/null || echo 1)
  if [ "$rc" -eq 0 ]; then
    echo "test: $name passed ($(cat "$checks/$name.s") s)" >&2
  else
    failed=1
    echo "test: $name FAILED (exit $rc):" >&2
    if [ "$name" = prettier ]; then grep -v '^Checking formatting' "$checks/$name.log" >&2 || true; else cat "$checks/$name.log" >&2; fi
  fi
done
[ "$jest_rc" -eq 0 ] || echo "test: jest FAILED (exit $jest_rc; its report is above)" >&2
echo "test: whole suite took $(($(date +%s) - start)) s" >&2
exit "$failed"
