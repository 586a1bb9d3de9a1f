# errpulse image for the server-mode services (ingest, api, migrate, simulate): compiled JavaScript,
# production dependencies only, running as the unprivileged `node` user.
#   docker build -t errpulse .
#   docker run --rm errpulse --help
# It talks to a ClickHouse server (CLICKHOUSE_URL): the embedded engine's native library is left out.
ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional drops chdb's ~540 MB native engine (its only optional dependency in production):
# containers use a ClickHouse server, never the embedded engine.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    API_HOST=0.0.0.0 \
    API_TOKENS_FILE=/var/lib/errpulse/api-tokens.json
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# Read at run time from the project root (lib/paths.ts), not compiled into dist/.
COPY lib/clickhouse/migrations ./lib/clickhouse/migrations
# The token file lives in a volume; a folder owned by `node` makes a new named volume writable for it.
RUN mkdir -p /var/lib/errpulse && chown node:node /var/lib/errpulse
USER node
EXPOSE 8080 9464
ENTRYPOINT ["node", "bin/errpulse.js"]
CMD ["--help"]
