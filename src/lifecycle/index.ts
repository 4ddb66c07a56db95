export * from './stop-signals.js';
export * from './gateway-group.js';
export * from './group-member.js';
export type { MemberReadiness } from './group-messages.js';
