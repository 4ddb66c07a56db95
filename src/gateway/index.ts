export { Gateway, WEBSOCKET_PATH, type GatewayOptions, type GatewayPorts } from './gateway.js';
export { DirectPipeline } from './direct-pipeline.js';
export type { HttpRouteHandler } from './http-endpoints.js';
export { validatePublishData, codePointLength } from './publish-validation.js';
export { signToken, verifyConnectToken, verifySubscribeToken, TokenExpiredError, InvalidTokenError, TokenMismatchError } from './auth/index.js';
export type { ConnectTokenClaims, SubscribeTokenClaims, JwtClaims } from './auth/index.js';
