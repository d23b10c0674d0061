#!/bin/sh
# The baseline of the orchestration-overhead benchmark: what `slipway run overhead` does, as a
# plain script — mirror fetch, worktree of the branch head, buildah build + push with a digest
# file, the test step, helm upgrade --install --atomic --wait. Variables from prepare-overhead.ts.
set -eu
dir="$BENCH_DIR/plain"
mkdir -p "$dir"
n=$(( $(cat "$dir/number" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$dir/number"
if [ -d "$dir/mirror" ]; then git -C "$dir/mirror" fetch --prune origin; else git clone --mirror -- "$BENCH_REPO" "$dir/mirror"; fi
sha=$(git -C "$dir/mirror" rev-parse refs/heads/main)
rm -rf "$dir/ws"
git -C "$dir/mirror" worktree add --detach "$dir/ws" "$sha"
buildah --storage-driver vfs bud --isolation chroot --layers --cache-from "$BENCH_IMAGE/cache" --cache-to "$BENCH_IMAGE/cache" -f "$dir/ws/Dockerfile" -t "$BENCH_IMAGE:plain-$n" --build-arg "BASE=$BENCH_BASE" "$dir/ws"
buildah --storage-driver vfs push --digestfile "$dir/digest" --tls-verify=false "$BENCH_IMAGE:plain-$n" "docker://$BENCH_IMAGE:plain-$n"
(cd "$dir/ws" && sh -c "test -f chart/Chart.yaml && echo tests passed")
"$BENCH_HELM" upgrade --install app-plain "$dir/ws/chart" --namespace "$BENCH_NAMESPACE" --create-namespace --atomic --wait --timeout 60s \
  --set-string "image.repository=$BENCH_IMAGE" --set-string "image.tag=plain-$n" --set-string "image.digest=$(cat "$dir/digest")"
git -C "$dir/mirror" worktree remove --force "$dir/ws"
