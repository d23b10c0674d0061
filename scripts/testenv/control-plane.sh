# The Kubernetes control plane on 127.0.0.1 (sourced by up.sh/down.sh after common.sh): etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler and kwok faking one node.
# It is started and stopped as a whole: if any part is down, all of it restarts on a fresh etcd.

CP_PARTS=(kwok kube-scheduler kube-controller-manager kube-apiserver etcd)
PKI=$STATE/pki
KUBECONFIG_FILE=$STATE/kubeconfig
NODE_NAME=kwok-node-0

cp_running() {
  local p
  for p in "${CP_PARTS[@]}"; do is_running "$p" || return 1; done
}

cp_stop() { stop_bg "${CP_PARTS[@]}"; }

# One CA; one certificate serving the API server and authenticating every client as
# system:masters (components included: this is a throw-away test cluster); the service-account key.
cp_pki() {
  [[ -f $PKI/sa.pub && -f $PKI/admin.crt ]] && return 0
  log "creating PKI"
  mkdir -p "$PKI"
  (
    cd "$PKI"
    openssl genrsa -out ca.key 2048 2>/dev/null
    openssl req -x509 -new -key ca.key -subj /CN=slipway-testenv-ca -days 3650 -out ca.crt
    openssl genrsa -out admin.key 2048 2>/dev/null
    openssl req -new -key admin.key -subj "/O=system:masters/CN=kwok-admin" -out admin.csr
    cat >admin.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:10.96.0.1
EOF
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile admin.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}

cp_kubeconfig() {
  local port=$1
  cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: slipway-testenv
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority: $PKI/ca.crt
users:
- name: kwok-admin
  user:
    client-certificate: $PKI/admin.crt
    client-key: $PKI/admin.key
contexts:
- name: slipway-testenv
  context:
    cluster: slipway-testenv
    user: kwok-admin
current-context: slipway-testenv
EOF
}

kc() { kubectl --kubeconfig "$KUBECONFIG_FILE" "$@"; }

api_ready() {
  curl -fsS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$(port_of kube-apiserver)/readyz" | grep -qx ok
}

etcd_healthy() { curl -fsS "http://127.0.0.1:$(port_of etcd)/health" | grep -q '"health":"true"'; }

node_ready() {
  [[ $(kc get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]
}

cp_start() {
  cp_pki
  local p
  for p in etcd etcd-peer kube-apiserver kube-controller-manager kube-scheduler; do
    free_port >"$STATE/$p.port"
  done
  rm -rf "$STATE/etcd-data"

  log "starting etcd"
  local ec=http://127.0.0.1:$(port_of etcd) ep=http://127.0.0.1:$(port_of etcd-peer)
  start_bg etcd "$K8S_BIN/etcd" --name slipway --data-dir "$STATE/etcd-data" \
    --listen-client-urls "$ec" --advertise-client-urls "$ec" \
    --listen-peer-urls "$ep" --initial-advertise-peer-urls "$ep" \
    --initial-cluster "slipway=$ep" --initial-cluster-state new \
    --unsafe-no-fsync --log-level warn
  wait_until etcd 60 etcd_healthy

  log "starting kube-apiserver"
  cp_kubeconfig "$(port_of kube-apiserver)"
  start_bg kube-apiserver "$K8S_BIN/kube-apiserver" --etcd-servers "$ec" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$(port_of kube-apiserver)" \
    --endpoint-reconciler-type none --service-cluster-ip-range 10.96.0.0/16 \
    --tls-cert-file "$PKI/admin.crt" --tls-private-key-file "$PKI/admin.key" --client-ca-file "$PKI/ca.crt" \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --authorization-mode Node,RBAC --allow-privileged=true
  wait_until kube-apiserver 120 api_ready

  log "starting kube-controller-manager, kube-scheduler, kwok"
  start_bg kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$KUBECONFIG_FILE" --authentication-kubeconfig "$KUBECONFIG_FILE" \
    --authorization-kubeconfig "$KUBECONFIG_FILE" \
    --bind-address 127.0.0.1 --secure-port "$(port_of kube-controller-manager)" \
    --root-ca-file "$PKI/ca.crt" --service-account-private-key-file "$PKI/sa.key" \
    --leader-elect=false
  start_bg kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig "$KUBECONFIG_FILE" --authentication-kubeconfig "$KUBECONFIG_FILE" \
    --authorization-kubeconfig "$KUBECONFIG_FILE" \
    --bind-address 127.0.0.1 --secure-port "$(port_of kube-scheduler)" --leader-elect=false
  local stages=() f
  for f in "$KWOK_STAGES"/*.yaml; do stages+=(--config "$f"); done
  start_bg kwok "$KWOK_BIN/kwok" --kubeconfig "$KUBECONFIG_FILE" --manage-all-nodes=true \
    --cidr 10.244.0.0/16 --node-ip 127.0.0.1 --node-lease-duration-seconds 40 "${stages[@]}"

  kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: $NODE_NAME
    type: kwok
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
}

sa_exists() { kc get serviceaccount default -n "$1"; }

# etcd healthy → apiserver /readyz → node Ready → the default ServiceAccount appears in a fresh
# namespace (the controller manager's controllers and the scheduler are working).
cp_wait() {
  wait_until etcd 30 etcd_healthy
  wait_until kube-apiserver 60 api_ready
  wait_until kwok 90 node_ready
  local ns
  ns=slipway-probe-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
  kc create namespace "$ns" >/dev/null
  wait_until kube-controller-manager 60 sa_exists "$ns"
  kc delete namespace "$ns" --wait=false >/dev/null
}
