#!/usr/bin/env bash
# Builds the Kubernetes control plane, etcd, kwok and helm from the Go module proxy, once per
# version, into a cache outside the repository. A warm cache makes this a no-op.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.36.3}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
HELM_VERSION=${HELM_VERSION:-v3.19.5}
CACHE=${SLIPWAY_TESTENV_CACHE:-$HOME/.cache/slipway-testenv}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

log() { printf '[testenv] %s\n' "$*" >&2; }

# Go 1.26+ (kwok v0.8.0's go.mod asks for it); only checked when something must be built.
need_go() {
  local v
  v=$(go env GOVERSION 2>/dev/null) || { log "error: Go 1.26 or later is needed to build the test binaries (https://go.dev/dl), and 'go' is not on PATH"; exit 1; }
  v=${v#go}
  local major=${v%%.*} rest=${v#*.}
  if (( major < 1 || (major == 1 && ${rest%%.*} < 26) )); then
    log "error: Go 1.26 or later is needed to build the test binaries, found go$v"; exit 1
  fi
}

build_k8s() {
  local out=$CACHE/k8s-$K8S_VERSION/bin
  if [[ -x $out/kube-apiserver && -x $out/kube-controller-manager && -x $out/kube-scheduler ]]; then return; fi
  need_go
  log "building Kubernetes $K8S_VERSION (cold: 15-30 minutes)"
  local stg=v0.${K8S_VERSION#v1.} minor work
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  work=$CACHE/build/k8s-$K8S_VERSION
  mkdir -p "$out" "$work"
  (
    cd "$work"
    [[ -f go.mod ]] || go mod init local/k8sbuild >/dev/null
    local mod
    mod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$mod"); do
      go mod edit "-replace=$m=$m@$stg"
    done
    if grep -q '^godebug default=' "$mod"; then go mod edit "-godebug=$(sed -n 's/^godebug //p' "$mod")"; fi
    go get "k8s.io/kubernetes@$K8S_VERSION"
    go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION" "k8s.io/kubernetes/cmd/kube-scheduler@$K8S_VERSION"
    local ld="-s -w"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    done
    go build -p 2 -trimpath -ldflags "$ld" -o "$out/" k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
  )
}

# etcd at the version of go.etcd.io/etcd/client/v3 that Kubernetes requires (read from the wrapper
# module above). Its main package is go.etcd.io/etcd/server/v3 (the root module go.etcd.io/etcd/v3
# only has a dummy.go); server/go.mod replaces its sibling modules with ../ paths, so the wrapper
# replaces them with the published versions.
build_etcd() {
  local out=$CACHE/k8s-$K8S_VERSION/bin
  if [[ -x $out/etcd ]]; then return; fi
  need_go
  local etcd_version
  etcd_version=$(cd "$CACHE/build/k8s-$K8S_VERSION" && go list -m -f '{{.Version}}' go.etcd.io/etcd/client/v3)
  log "building etcd $etcd_version"
  local work=$CACHE/build/etcd-server-$etcd_version
  mkdir -p "$out" "$work"
  (
    cd "$work"
    [[ -f go.mod ]] || go mod init local/etcdbuild >/dev/null
    local mod
    mod=$(go mod download -json "go.etcd.io/etcd/server/v3@$etcd_version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    for m in $(sed -n 's#^[[:space:]]*\(go\.etcd\.io/etcd/[^ ]*\) => \.\{1,2\}/.*#\1#p' "$mod"); do
      go mod edit "-replace=$m=$m@$etcd_version"
    done
    go get "go.etcd.io/etcd/server/v3@$etcd_version"
    go build -p 2 -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
  )
  echo "$etcd_version" > "$out/etcd.version"
}

# kubectl of the cluster's own version (an installed one may be out of the supported skew, or
# missing); up.sh puts it first on PATH.
build_kubectl() {
  local out=$CACHE/k8s-$K8S_VERSION/bin
  if [[ -x $out/kubectl ]]; then return; fi
  need_go
  log "building kubectl $K8S_VERSION"
  local minor ld="-s -w"
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  (cd "$CACHE/build/k8s-$K8S_VERSION" && go build -p 2 -trimpath -ldflags "$ld" -o "$out/kubectl" k8s.io/kubernetes/cmd/kubectl)
}

build_kwok() {
  local out=$CACHE/kwok-$KWOK_VERSION/bin
  if [[ -x $out/kwok ]]; then return; fi
  need_go
  log "building kwok $KWOK_VERSION"
  mkdir -p "$out"
  GOBIN=$out go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  local src
  src=$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION
  mkdir -p "$out/../stages"
  cp "$src/kustomize/stage/node/fast/node-initialize.yaml" \
     "$src/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
     "$src/kustomize/stage/pod/fast/pod-ready.yaml" "$src/kustomize/stage/pod/fast/pod-complete.yaml" \
     "$src/kustomize/stage/pod/fast/pod-delete.yaml" "$out/../stages/"
  chmod u+w "$out/../stages/"*
}

build_helm() {
  local out=$CACHE/helm-$HELM_VERSION/bin
  if [[ -x $out/helm ]]; then return; fi
  need_go
  log "building helm $HELM_VERSION"
  mkdir -p "$out"
  GOBIN=$out go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"
flock 9

case "${1:-all}" in
  k8s) build_k8s; build_etcd; build_kubectl ;;
  etcd) build_etcd ;;
  kubectl) build_kubectl ;;
  kwok) build_kwok ;;
  helm) build_helm ;;
  all) build_helm; build_kwok; build_k8s; build_etcd; build_kubectl ;;
esac
