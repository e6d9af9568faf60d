# syntax=docker/dockerfile:1.7
# One build, two images: `--target operator` and `--target allocator` (`npm run images` builds both).
# The base is pinned to an exact Node.js 24 LTS release; bump NODE_IMAGE deliberately (and its digest,
# e.g. node:24.21.0-bookworm-slim@sha256:..., where your registry policy asks for one).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# 1. Compile the TypeScript sources to dist/ (needs the dev dependencies: typescript), and copy the
#    records page's static files (allocator/ui/, served as they are) beside the compiled allocator.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY api ./api
COPY lib ./lib
COPY operator ./operator
COPY allocator ./allocator
RUN npx tsc -p tsconfig.build.json && cp -R allocator/ui dist/allocator/

# 2. Production dependencies only.
FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force

# 3. The runtime: compiled JavaScript and production dependencies, owned by root, run as "node".
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# The official image's unprivileged user; numeric so runAsNonRoot can verify it.
USER 1000:1000

FROM runtime AS operator
LABEL org.opencontainers.image.title="click-to-call-in operator" \
      org.opencontainers.image.licenses="Apache-2.0"
EXPOSE 8080 9443
ENTRYPOINT ["node", "--conditions=compiled", "dist/operator/src/main.js"]

FROM runtime AS allocator
LABEL org.opencontainers.image.title="click-to-call-in allocator" \
      org.opencontainers.image.licenses="Apache-2.0"
EXPOSE 8080
ENTRYPOINT ["node", "--conditions=compiled", "dist/allocator/src/main.js"]
