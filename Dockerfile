# Leadloop: one image for the API and the workers (docker compose, see compose.yaml).
# Node.js 24 runs the TypeScript sources directly, so there is no compile step for the server;
# the first stage only builds the web assets (chat widget) with the dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN if [ -f web/vite.widget.config.ts ]; then npm run build:web; else mkdir -p web/dist; fi

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 LEADLOOP_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/web/demo ./web/demo
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Heap flags as in `npm start`: a small young generation and slower old-generation growth keep
# RSS low under load (docs/decisions/2026-11-28-ingest-latency-and-memory.md).
ENTRYPOINT ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "bin/leadloop.js"]
CMD ["serve"]
