# Image for the API and the worker (docker-compose.yml runs one of each).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci: exactly the lockfile, or fail (the lockfile names every platform's optional binaries).
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["node", "dist/src/healthcheck.js", "api"]
# The API's memory budget (src/memory-budget.ts).
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=16", "dist/src/main.js"]
