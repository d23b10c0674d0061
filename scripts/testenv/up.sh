#!/usr/bin/env bash
# Starts the test environment on 127.0.0.1 (free ports): Redis, a registry with a busybox base
# image, and a Kubernetes control plane with one kwok node; writes .slipway/testenv.env.
# Idempotent: what already runs is kept, so a second run takes seconds. Stop it with down.sh.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
source "$HERE/control-plane.sh"

PACKAGES=(redis-server redis-tools docker-registry buildah skopeo busybox-static openssl git jq curl ca-certificates util-linux uidmap bubblewrap chromium apache2-utils)

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "installing ${missing[*]}"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# A custom build command runs sandboxed in a user namespace of uids and gids 0..65535 mapped to
# themselves (runner/sandbox.ts, builder mode): unshare asks newuidmap/newgidmap, which allow it
# only with this line in /etc/subuid and /etc/subgid. The runner refuses to start without it.
ensure_subids() {
  local f sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  for f in /etc/subuid /etc/subgid; do
    grep -qx 'root:0:65536' "$f" 2>/dev/null && continue
    log "adding root:0:65536 to $f"
    echo 'root:0:65536' | "${sudo[@]}" tee -a "$f" >/dev/null
  done
}

start_redis() {
  if ! is_running redis; then
    log "starting redis"
    free_port >"$STATE/redis.port"
    mkdir -p "$STATE/redis"
    start_bg redis "$(command -v redis-server)" --bind 127.0.0.1 --port "$(port_of redis)" \
      --dir "$STATE/redis" --maxmemory-policy noeviction --appendonly yes --appendfsync everysec \
      --save '' --daemonize no
  fi
  wait_until redis 30 redis-cli -h 127.0.0.1 -p "$(port_of redis)" ping
}

# The registry keeps its port across restarts (pipelines and pushed image names carry it):
# SLIPWAY_REGISTRY_PORT (what `slipway up --local-cluster` remembers in its data folder), else the
# port of the last start; a new one only when that one is taken, with a warning.
registry_port() {
  local want=${SLIPWAY_REGISTRY_PORT:-}
  [[ -z $want && -f $STATE/registry.port ]] && want=$(cat "$STATE/registry.port")
  if [[ -n $want ]]; then
    if port_free "$want"; then
      printf '%s' "$want"
      return
    fi
    log "warning: registry port $want is taken; the registry starts on a new port"
  fi
  free_port
}

registry_up() { curl -fsS "http://127.0.0.1:$(port_of registry)/v2/"; }

start_registry() {
  if ! is_running registry; then
    log "starting registry"
    local port
    port=$(registry_port)
    printf '%s' "$port" >"$STATE/registry.port"
    mkdir -p "$STATE/registry"
    cat >"$STATE/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$(port_of registry)
EOF
    start_bg registry "$(command -v docker-registry)" serve "$STATE/registry.yml"
  fi
  wait_until registry 30 registry_up
}

# buildah/skopeo settings every builder inherits through the env file: vfs storage (no overlay in
# these machines) under .slipway, and the loopback registry marked insecure (plain HTTP).
write_containers_conf() {
  mkdir -p "$STATE/containers"
  write_if_changed "$STATE/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$STATE/containers/storage"
runroot = "$STATE/containers/run"
EOF
  write_if_changed "$STATE/registries.conf" <<EOF
unqualified-search-registries = []

[[registry]]
location = "127.0.0.1:$(port_of registry)"
insecure = true
EOF
  export CONTAINERS_STORAGE_CONF=$STATE/storage.conf CONTAINERS_REGISTRIES_CONF=$STATE/registries.conf
}

# stdin to FILE, atomically and only when different: builds running right now read these files.
write_if_changed() {
  local tmp=$1.tmp
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

# FROM scratch + busybox-static with its applets linked into /bin; tests' Dockerfiles FROM it.
base_image() {
  local image=127.0.0.1:$(port_of registry)/slipway-test/base:1
  BASE_IMAGE=$image
  if skopeo inspect --tls-verify=false --raw "docker://$image" >/dev/null 2>&1; then return 0; fi
  log "building base image $image"
  local ctx=$STATE/base-image
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$(command -v busybox)" "$ctx/busybox"
  cat >"$ctx/Containerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "mkdir", "-p", "/tmp", "/etc", "/root", "/usr/bin", "/sbin", "/usr/sbin"]
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]
EOF
  buildah --storage-driver vfs bud --isolation chroot --quiet -t localhost/slipway-test/base:1 \
    -f "$ctx/Containerfile" "$ctx" >/dev/null
  buildah --storage-driver vfs push --quiet --tls-verify=false localhost/slipway-test/base:1 "docker://$image"
}

start_control_plane() {
  if ! cp_running; then
    cp_stop
    cp_start
  fi
  cp_wait
}

env_line() {
  if [[ $2 =~ ^[A-Za-z0-9_./:@,+=-]*$ ]]; then printf '%s=%s\n' "$1" "$2"; else printf "%s='%s'\n" "$1" "$2"; fi
}

write_env() {
  local path=$PATH dir
  for dir in "$K8S_BIN" "$KWOK_BIN" "$HELM_BIN"; do
    [[ :$path: == *:$dir:* ]] || path=$dir:$path
  done
  local tmp=$ENV_FILE.tmp
  {
    env_line SLIPWAY_TEST_REDIS_URL "redis://127.0.0.1:$(port_of redis)"
    env_line SLIPWAY_TEST_REGISTRY "127.0.0.1:$(port_of registry)"
    env_line SLIPWAY_TEST_BASE_IMAGE "$BASE_IMAGE"
    env_line KUBECONFIG "$KUBECONFIG_FILE"
    env_line SLIPWAY_TEST_HELM "$HELM_BIN/helm"
    env_line PATH "$path"
    env_line SLIPWAY_TEST_BIN_DIRS "$HELM_BIN:$KWOK_BIN:$K8S_BIN"
    env_line SLIPWAY_TEST_K8S_VERSION "$K8S_VERSION"
    env_line SLIPWAY_TEST_ETCD_VERSION "$(cat "$K8S_BIN/etcd.version")"
    env_line SLIPWAY_TEST_KWOK_VERSION "$KWOK_VERSION"
    env_line SLIPWAY_TEST_HELM_VERSION "$HELM_VERSION"
    env_line SLIPWAY_TEST_APISERVER "https://127.0.0.1:$(port_of kube-apiserver)"
    env_line SLIPWAY_TEST_NODE "$NODE_NAME"
    env_line CONTAINERS_STORAGE_CONF "$CONTAINERS_STORAGE_CONF"
    env_line CONTAINERS_REGISTRIES_CONF "$CONTAINERS_REGISTRIES_CONF"
  } >"$tmp"
  mv "$tmp" "$ENV_FILE"
}

main() {
  local t0=$SECONDS
  mkdir -p "$STATE" "$LOGS"
  take_lock
  install_packages
  ensure_subids
  "$HERE/build-binaries.sh" all
  PATH=$K8S_BIN:$PATH
  start_redis
  start_registry
  write_containers_conf
  base_image
  start_control_plane
  write_env
  log "ready in $((SECONDS - t0))s: $ENV_FILE"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
