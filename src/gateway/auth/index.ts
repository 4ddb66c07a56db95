export { verifyConnectToken } from './connect-token.js';
export type { ConnectTokenClaims } from './connect-token.js';
export { verifySubscribeToken } from './subscribe-token.js';
export type { SubscribeTokenClaims, SubscribeTokenExpectation } from './subscribe-token.js';
export { signToken, verifyHs256, MAX_TOKEN_LENGTH } from './hs256.js';
export { MAX_TIME_CLAIM_SECONDS, MAX_USER_ID_BYTES } from './token-claims.js';
export type { JwtClaims } from './hs256.js';
export { TokenExpiredError, InvalidTokenError, TokenMismatchError } from './token-errors.js';
