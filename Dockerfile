# Slipway's own image: server, runner and CLI on Node 20, with git, helm, kubectl and buildah.
# Builds with `buildah bud` or `docker build`; not built in CI here (no base images offline).
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git buildah bubblewrap ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
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
