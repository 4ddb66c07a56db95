export { createOriginCheck, describeOriginPolicy, type OriginCheck, type OriginPolicyConfig } from './origin-check.js';
export { Gateway, WEBSOCKET_PATH, UNI_WEBSOCKET_PATH, type GatewayOptions, type GatewayPorts, type Lifecycle } from './gateway.js';
export type { ReadinessChecks, ReadinessReport } from './readiness.js';
export { createHttpApi, httpApiDisabledWarning, type HttpApiDeps, type HttpApiHandler } from './http-api/create-http-api.js';
export type { HttpRouteHandler } from './http-endpoints.js';
export { validatePublishData, codePointLength, duplicateTopLevelKey, MAX_JSON_DEPTH } from './publish-validation.js';
export {
  signToken,
  verifyConnectToken,
  verifySubscribeToken,
  TokenVerifier,
  JwksCache,
  TokenExpiredError,
  InvalidTokenError,
  TokenMismatchError,
  TokenKeysUnavailableError,
} from './auth/index.js';
export type { ConnectTokenClaims, SubscribeTokenClaims, JwtClaims } from './auth/index.js';
export { HTTP_STREAM_PATH, SSE_PATH, EMULATION_PATH, UNI_HTTP_STREAM_PATH, UNI_SSE_PATH } from './http-transports.js';
export { API_METHODS, type ApiCall, type ApiDeps, type ApiMethod } from './http-api/api-methods.js';
export { ApiRequest } from './http-api/api-request.js';
export { errorJson as errorJsonOf } from './http-api/api-methods.js';
