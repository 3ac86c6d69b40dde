# robosre's image: `docker build -t robosre:0.1.0 .` (docs/deploy.md).
#
# Both stages are on the same Debian release (bookworm) and the same Node
# release (NODE_24 in scripts/node/versions.env), so what the build stage
# installs runs unchanged in the slim runtime stage. better-sqlite3 ships
# Node-API prebuilt addons (one binary for every Node ABI), so nothing is
# compiled.
ARG NODE_IMAGE=node:24.22.3-bookworm

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency script runs: better-sqlite3's implicit `node-gyp rebuild` would only replace
# the prebuilt addon it ships, and the build needs nothing else (tsc, no bundler).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY adapters ./adapters
COPY conversations ./conversations
COPY policies ./policies
COPY src ./src
COPY drizzle ./drizzle
# The runtime keeps one addon, the prebuilt one for this platform (glibc Linux): better-sqlite3's
# SQLite sources and other platforms' prebuilds are 25 of its 27 MB.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
 && find node_modules/better-sqlite3/prebuilds -name '*.node' ! -name "linux-$(node -p process.arch).node" -delete

FROM ${NODE_IMAGE}-slim
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the service user: the image's code cannot be
# changed by the process running it.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/drizzle ./drizzle
# The node image's `node` user, by number, so Kubernetes' runAsNonRoot can verify it.
RUN mkdir -p /var/lib/robosre /etc/robosre && chown 1000:1000 /var/lib/robosre
USER 1000:1000
# The SQLite store and the action journal: the config must put database.path
# and executor.journal here (the chart does); /app is not writable.
VOLUME ["/var/lib/robosre"]
EXPOSE 8080
# 8 MiB semi-spaces: Node 24 sizes V8's young generation from the machine's memory (128 MiB on a 24 GiB
# host, nearly all of it resident once touched), which alone would be most of robosre's memory
# (bench/kwok-memory.bench.ts reads this line to run what is deployed; bench/results.md).
ENTRYPOINT ["node", "--max-semi-space-size=8", "dist/src/cli/main.js"]
CMD ["start", "--config", "/etc/robosre/robosre.yaml"]
