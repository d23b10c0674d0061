#!/usr/bin/env bash
# Stops every process up.sh started (by the pids it recorded) and removes .slipway/testenv.env.
# Data (Redis AOF, registry blobs, buildah storage, PKI) stays for a fast next start unless
# --purge is given, which deletes .slipway/testenv entirely. Built binaries in
# ~/.cache/slipway-testenv are never touched.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
source "$HERE/control-plane.sh"

purge=false
case "${1:-}" in
  --purge) purge=true ;;
  '') ;;
  *) die "usage: down.sh [--purge]" ;;
esac

mkdir -p "$STATE"
take_lock
rm -f "$ENV_FILE"
stop_bg "${CP_PARTS[@]}" registry redis
rm -rf "$STATE/etcd-data"
left=$(find "$STATE" -maxdepth 1 -name '*.pid' | wc -l)
[[ $left -eq 0 ]] || die "pid files left in $STATE"
if $purge; then
  exec 9>&-
  rm -rf "$STATE"
  log "stopped and purged $STATE"
else
  log "stopped"
fi
