# syntax=docker/dockerfile:1
# Image of the gateway; the same image runs workers with another command (see docker-compose.yml).
# Build and start steps are the README's: `npm ci`, `npm run build`, then what `npm start` runs.

ARG NODE_VERSION=26

FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:${NODE_VERSION}-trixie-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Files stay owned by root: the app cannot modify itself.
USER node
EXPOSE 8000 3000 2112
# Slim images have no curl; node's fetch does it. Workers set HEALTHCHECK_URL to their own port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL || 'http://127.0.0.1:3000/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/bin/gateway.js"]
