#!/usr/bin/env bash
# The whole test suite, as CI runs it: MariaDB present (installed from Debian packages when
# missing), one type-check of every TypeScript file, then jest (which starts its own MariaDB).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-mariadb.sh
echo "test: tsc --noEmit" >&2
npx tsc --noEmit -p tsconfig.json
echo "test: eslint + prettier" >&2
npx eslint .
npx prettier --check . > /dev/null
echo "test: jest" >&2
npx jest "$@"
echo "test: whole suite took $(( $(date +%s) - start )) s" >&2
