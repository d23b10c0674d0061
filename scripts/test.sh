#!/usr/bin/env bash
# The one test command (npm test): dependencies, the test environment, type check, lint, then
# every unit, integration and end-to-end test. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# npm install, not npm ci: this registry mirror serves no other-platform optional packages, so the
# lock file lacks them and npm ci refuses it; npm install follows the lock all the same.
[[ -d node_modules ]] || npm install --no-audit --no-fund
scripts/testenv/up.sh
set -a
# shellcheck source=/dev/null
source .slipway/testenv.env
set +a

# Type and lint errors fail the run, but the tests still run so every failure shows at once.
status=0
echo "== tsc"
npx tsc --noEmit -p tsconfig.json || status=1
echo "== eslint"
npx eslint . || status=1

# Node 20's --test does not expand globs (that came in Node 21), so bash does.
shopt -s globstar nullglob
# A hung test (or a file that never exits because of an open handle) fails the run instead of
# holding CI forever: 10 minutes per test, and a ceiling per group (timeout signals the group).
run() {
  local name=$1 concurrency=$2 limit=$3 files
  shift 3
  files=("$@")
  echo "== $name: ${#files[@]} files"
  [[ ${#files[@]} -gt 0 ]] || return 0
  timeout --kill-after=30s "$limit" node --import tsx --test --test-reporter=spec \
    --test-concurrency="$concurrency" --test-timeout=600000 "${files[@]}" || status=1
}
run unit 2 10m test/unit/**/*.test.ts
# Integration and e2e tests share one Redis, registry and cluster on 2 cores: few at a time.
run integration 2 40m test/integration/**/*.test.ts
run e2e 1 20m test/e2e/**/*.test.ts
exit "$status"
