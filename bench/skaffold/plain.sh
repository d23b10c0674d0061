#!/bin/sh
# The baseline of the skaffold benchmark: what `slipway run skaffold` does for the fixture's
# skaffold.yaml, as a plain script — mirror fetch, worktree, base and web built and pushed at
# once, then api FROM base's reference, the rawYaml manifest with its image replaced (sed)
# applied server-side and its rollout waited for, and the chart with helm upgrade --install
# --atomic --wait. Variables from prepare.ts.
set -eu
dir="$BENCH_DIR/plain"
mkdir -p "$dir"
n=$(( $(cat "$dir/number" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$dir/number"
img="$BENCH_REGISTRY_IMAGE"
if [ -d "$dir/mirror" ]; then git -C "$dir/mirror" fetch --prune origin; else git clone --mirror -- "$BENCH_REPO" "$dir/mirror"; fi
sha=$(git -C "$dir/mirror" rev-parse refs/heads/main)
rm -rf "$dir/ws"
git -C "$dir/mirror" worktree add --detach "$dir/ws" "$sha"
build() { # name, build args...
  name=$1; shift
  buildah --storage-driver vfs bud --isolation chroot -f "$dir/ws/$name/Dockerfile" -t "${img}$name:plain-$n" "$@" "$dir/ws/$name"
  buildah --storage-driver vfs push --digestfile "$dir/digest-$name" --tls-verify=false "${img}$name:plain-$n" "docker://${img}$name:plain-$n"
}
build base --build-arg "BASE=$BENCH_BASE" & b=$!
build web --build-arg "BASE=$BENCH_BASE" & w=$!
wait $b
build api --build-arg "BASE_IMAGE=${img}base:plain-$n@$(cat "$dir/digest-base")"
wait $w
kubectl create namespace "$BENCH_NAMESPACE" 2>/dev/null || true
sed "s|image: \"${img}api:latest\"|image: \"${img}api:plain-$n@$(cat "$dir/digest-api")\"|" "$dir/ws/k8s/api.yaml" \
  | kubectl apply --server-side --force-conflicts --field-manager bench --namespace "$BENCH_NAMESPACE" --filename -
kubectl rollout status deployment/api --namespace "$BENCH_NAMESPACE" --watch --timeout=60s
sed -i "s|image: \"${img}web:latest\"|image: \"${img}web:plain-$n@$(cat "$dir/digest-web")\"|" "$dir/ws/chart/templates/deployment.yaml"
"$BENCH_HELM" upgrade --install web-plain "$dir/ws/chart" --namespace "$BENCH_NAMESPACE" --create-namespace --atomic --wait --timeout 60s
git -C "$dir/mirror" worktree remove --force "$dir/ws"
