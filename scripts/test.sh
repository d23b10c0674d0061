#!/usr/bin/env bash
# The one test command (npm test): dependencies, the test environment, type check, lint, then
# every unit, integration and end-to-end test. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -d node_modules ]] || npm ci --no-audit --no-fund
scripts/testenv/up.sh
set -a
# shellcheck source=/dev/null
source .slipway/testenv.env
set +a

npx tsc --noEmit -p tsconfig.json
npx eslint .

status=0
# Node 20's --test does not expand globs (that came in Node 21), so bash does.
shopt -s globstar nullglob
run() {
  local name=$1 concurrency=$2 files
  shift 2
  files=("$@")
  echo "== $name: ${#files[@]} files"
  [[ ${#files[@]} -gt 0 ]] || return 0
  node --import tsx --test --test-reporter=spec --test-concurrency="$concurrency" "${files[@]}" || status=1
}
run unit 2 test/unit/**/*.test.ts
# Integration and e2e tests share one Redis, registry and cluster on 2 cores: few at a time.
run integration 2 test/integration/**/*.test.ts
run e2e 1 test/e2e/**/*.test.ts
exit "$status"
