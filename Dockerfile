# Slipway's own image: server, runner and CLI on Node 20, with git, helm, kubectl and buildah.
# Builds with `buildah bud` or `docker build`; not built in CI here (no base images offline).
FROM node:20-bookworm-slim
# bubblewrap, util-linux's unshare and uidmap's newuidmap/newgidmap sandbox the pipelines' steps
# (runner/sandbox.ts); a custom build command's user namespace maps uids and gids 0..65535, which
# newuidmap allows with root:0:65536 in /etc/subuid and /etc/subgid. The runner runs as root.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git buildah bubblewrap util-linux uidmap ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && echo 'root:0:65536' > /etc/subuid && echo 'root:0:65536' > /etc/subgid
ARG HELM_VERSION=v3.19.5
RUN curl -fsSL "https://get.helm.sh/helm-${HELM_VERSION}-linux-amd64.tar.gz" | tar -xz -C /usr/local/bin --strip-components=1 linux-amd64/helm
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json ./
COPY core core
COPY server server
COPY runner runner
COPY pipelines pipelines
COPY cli cli
COPY scripts scripts
# Compiled once here, so the container starts without a TypeScript loader.
RUN npm run build && npm prune --omit=dev
ENV SLIPWAY_HOST=0.0.0.0 SLIPWAY_PIPELINES=/pipelines NODE_ENV=production
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli/bin.js"]
CMD ["up"]
