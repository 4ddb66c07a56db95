export { verifyConnectToken, verifierOf } from './connect-token.js';
export type { ConnectTokenClaims, VerifierOrSecret } from './connect-token.js';
export { verifySubscribeToken } from './subscribe-token.js';
export type { SubscribeTokenClaims, SubscribeTokenExpectation } from './subscribe-token.js';
export { signToken } from './sign-token.js';
export { TokenVerifier, JwksCache, MAX_TOKEN_LENGTH } from './token-verifier.js';
export type { JwtClaims, JwksOptions } from './token-verifier.js';
export type { ServerSideSubscription, SubscriptionOverride } from './token-claims.js';
export { TokenExpiredError, InvalidTokenError, TokenMismatchError, TokenKeysUnavailableError } from './token-errors.js';
