# robosre's image: `docker build -t robosre:0.1.0 .` (docs/deploy.md).
#
# Both stages are on the same Debian release (bookworm): better-sqlite3's
# native addon is compiled in the first against its glibc and copied into the
# second, so they must not drift apart (plain `node:20` follows Debian's newest).
ARG NODE_IMAGE=node:20-bookworm

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The full node image carries python3, make and g++, which node-gyp needs when
# better-sqlite3 has no prebuilt addon for this Node ABI; with nodedir it
# compiles against the image's own Node headers instead of downloading them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY adapters ./adapters
COPY conversations ./conversations
COPY policies ./policies
COPY src ./src
COPY drizzle ./drizzle
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

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
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start", "--config", "/etc/robosre/robosre.yaml"]
