/** The routes the WebSocket port serves for browsers, in order: pages and assets, the demo's endpoints, the admin API. */

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { ApiDeps, HttpRouteHandler } from '../gateway/index.js';
import { createAdminRoutes } from './admin-routes.js';
import type { WorkerSources } from './admin-overview.js';
import { AdminSessions } from './admin-session.js';
import { createDemoRoutes, DEFAULT_SIGNALS_CHANNEL } from './demo-routes.js';
import { LoginLimiter } from './login-limiter.js';
import { createStaticSite } from './static-site.js';

export interface WebUiOptions {
  config: Pick<Config, 'web' | 'client' | 'redisUrl' | 'redisCluster' | 'redisSentinel' | 'nodeId' | 'channel'>;
  /** Directory of the built pages (dist/web). */
  root: string;
  logger: Logger;
  api: ApiDeps;
  workers: WorkerSources;
  localChannels: () => ReadonlyMap<string, number>;
  metrics: Registry;
}

/**
 * Where the demo sends typing signals: a `typing` namespace that subscribers may publish to and that
 * keeps no history (examples/workers.config.json declares one), else a sibling channel of the room.
 */
function signalsChannel(channel: Config['channel']): string {
  const ns = channel.namespaces.find((n) => n.name === 'typing');
  const usable =
    ns !== undefined &&
    ns.allowSubscribeForClient &&
    (ns.allowPublishForSubscriber || ns.allowPublishForClient) &&
    ns.historySize === 0 &&
    !ns.userOwned;
  return usable ? `typing${channel.namespaceBoundary}{room}` : DEFAULT_SIGNALS_CHANNEL;
}

export function createWebUiRoutes(options: WebUiOptions): HttpRouteHandler[] {
  const { config, logger } = options;
  const web = config.web;
  const routes: HttpRouteHandler[] = [
    createStaticSite({ root: options.root, chatDemo: web.chatDemo, admin: web.adminPassword !== null, logger }),
  ];
  if (web.chatDemo) {
    routes.push(
      createDemoRoutes({
        tokenSecret: config.client.tokenHmacSecretKey,
        devTokens: web.chatDemoTokens,
        logger,
        signalsChannel: signalsChannel(config.channel),
      }),
    );
  }
  if (web.adminPassword !== null) {
    routes.push(
      createAdminRoutes({
        sessions: new AdminSessions({ password: web.adminPassword, secret: web.adminSecret }),
        limiter: new LoginLimiter(),
        api: options.api,
        workers: options.workers,
        localChannels: options.localChannels,
        metrics: options.metrics,
        mode:
          config.redisSentinel !== null
            ? 'redis-sentinel'
            : config.redisUrl === null
              ? 'embedded'
              : config.redisCluster
                ? 'redis-cluster'
                : 'redis',
        nodeId: config.nodeId,
        logger: logger.child({ component: 'admin' }),
      }),
    );
  }
  return routes;
}
