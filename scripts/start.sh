#!/usr/bin/env bash
# The one run command (npm start): dependencies, then `slipway up --local-cluster`, which starts
# the local registry and Kubernetes control plane (built once, cached) and Slipway on its
# embedded defaults, with the demo repository. Extra arguments go to `slipway up`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# npm install, not npm ci: this registry mirror serves no other-platform optional packages, so the
# lock file lacks them and npm ci refuses it; npm install follows the lock all the same.
[[ -d node_modules ]] || npm install --no-audit --no-fund
exec node --import tsx cli/bin.ts up --local-cluster "$@"
