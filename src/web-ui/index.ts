export { createStaticSite, type StaticSiteOptions } from './static-site.js';
export { createDemoRoutes, demoAuth, type DemoAuth, type DemoRoutesOptions } from './demo-routes.js';
export { AdminSessions, SESSION_COOKIE, type AdminSessionOptions } from './admin-session.js';
export { LoginLimiter, type LoginLimiterOptions } from './login-limiter.js';
export { createAdminRoutes, ADMIN_API_PREFIX, ADMIN_CALLABLE, type AdminRoutesOptions } from './admin-routes.js';
export {
  listWorkers,
  searchChannels,
  readCounters,
  type WorkerSources,
  type WorkerRow,
  type ChannelRow,
  type Counters,
} from './admin-overview.js';
export { createWebUiRoutes, type WebUiOptions } from './web-ui-routes.js';
