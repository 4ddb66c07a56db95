/** The routes the WebSocket port serves for browsers, in order: pages and assets, the demo's endpoints, the admin API. */

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { ApiDeps, HttpRouteHandler } from '../gateway/index.js';
import { createAdminRoutes } from './admin-routes.js';
import type { WorkerSources } from './admin-overview.js';
import { AdminSessions } from './admin-session.js';
import { createDemoRoutes } from './demo-routes.js';
import { LoginLimiter } from './login-limiter.js';
import { createStaticSite } from './static-site.js';

export interface WebUiOptions {
  config: Pick<Config, 'web' | 'client' | 'redisUrl' | 'redisCluster' | 'nodeId'>;
  /** Directory of the built pages (dist/web). */
  root: string;
  logger: Logger;
  api: ApiDeps;
  workers: WorkerSources;
  localChannels: () => ReadonlyMap<string, number>;
  metrics: Registry;
}

export function createWebUiRoutes(options: WebUiOptions): HttpRouteHandler[] {
  const { config, logger } = options;
  const web = config.web;
  const routes: HttpRouteHandler[] = [createStaticSite({ root: options.root, chatDemo: web.chatDemo, admin: web.adminPassword !== null, logger })];
  if (web.chatDemo) routes.push(createDemoRoutes({ tokenSecret: config.client.tokenHmacSecretKey, devTokens: web.chatDemoTokens, logger }));
  if (web.adminPassword !== null) {
    routes.push(createAdminRoutes({
      sessions: new AdminSessions({ password: web.adminPassword, secret: web.adminSecret }),
      limiter: new LoginLimiter(),
      api: options.api, workers: options.workers, localChannels: options.localChannels, metrics: options.metrics,
      mode: config.redisUrl === null ? 'embedded' : config.redisCluster ? 'redis-cluster' : 'redis',
      nodeId: config.nodeId, logger: logger.child({ component: 'admin' }),
    }));
  }
  return routes;
}
