# visionflow worker image (also carries the CLI: `node bin/visionflow.js ...`).
# Used by docker-compose.yml; build alone with `docker build -t visionflow .`.

# ---- build: compile TypeScript, then keep production dependencies only ----
FROM node:20-bookworm-slim AS build
WORKDIR /app

# Dependencies first so this layer is cached until the lockfile changes.
# --ignore-scripts: package.json's `prepare` runs tsc, and the sources are not copied
# yet. No production dependency needs its install script: sharp and @swc/core load
# prebuilt binaries from their platform optional dependencies (@img/sharp-linux-*,
# @swc/core-linux-*-gnu), which npm installs without running scripts; the remaining
# scripts (protobufjs, @swc/core postinstall) only check the install.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY tsconfig*.json ./
COPY src ./src
COPY bench ./bench
COPY bin ./bin
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production

# ffmpeg for the video pipelines; ca-certificates for HTTPS sources read by ffmpeg.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin

# Default VISIONFLOW_HOME (./.visionflow) must be writable by the unprivileged user.
RUN mkdir -p /app/.visionflow && chown node:node /app/.visionflow

USER node
CMD ["node", "dist/src/worker.js"]
