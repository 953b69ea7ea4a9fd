# syntax=docker/dockerfile:1
# The Resilient Model Manager as a container: a build stage compiles the TypeScript, the runtime stage
# holds only the compiled service, its production dependencies and the files it reads at run time, and
# runs as the unprivileged `node` user.
#
#   docker build -t rmm .
#   docker run -p 127.0.0.1:8309:8309 -v rmm-state:/var/lib/rmm \
#     -e OLLAMA_HOST=http://host.docker.internal:11434 --add-host=host.docker.internal:host-gateway rmm
#
# Without OLLAMA_HOST (and no Ollama answering inside the container) it serves from the built-in simulator.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY machines ./machines
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    RMM_HOST=0.0.0.0 \
    RMM_PORT=8309 \
    RMM_STATE_DIR=/var/lib/rmm
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/scripts/dist-state.js ./scripts/dist-state.js
COPY bin ./bin
COPY src/http/dashboard/assets ./src/http/dashboard/assets
COPY visualizations ./visualizations
RUN mkdir -p /var/lib/rmm && chown node:node /var/lib/rmm
USER node
VOLUME ["/var/lib/rmm"]
EXPOSE 8309
# /healthz answers without the API key; the port follows RMM_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.RMM_PORT || 8309}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/rmm.js", "serve"]
