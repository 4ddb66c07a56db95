export type * from './types.js';
export * from './codes.js';
export * from './codec.js';
export { rawValueAt } from './json-raw.js';
export { parsedDataOf } from './json-parsed.js';
export { decodeEmulationRequest, type EmulationRequest } from './emulation-request.js';
