/** Typed reads of one server API request body (a parsed JSON object); a bad field is a 107 ReplyError. */

import { Errors, ReplyError } from '../../protocol/index.js';

export class ApiRequest {
  constructor(readonly body: Readonly<Record<string, unknown>>) {}

  has(name: string): boolean {
    return this.body[name] !== undefined && this.body[name] !== null;
  }

  /** A required non-empty string. */
  requiredString(name: string): string {
    const value = this.body[name];
    if (typeof value !== 'string' || value === '') throw badRequest(`${name} is required and must be a non-empty string`);
    return value;
  }

  /** An optional string; omitted, null or '' reads as undefined. */
  optionalString(name: string): string | undefined {
    const value = this.body[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw badRequest(`${name} must be a string`);
    return value;
  }

  optionalBoolean(name: string): boolean {
    const value = this.body[name];
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') throw badRequest(`${name} must be a boolean`);
    return value;
  }

  /** An optional integer in [min, max]; omitted or null reads as `fallback`. */
  optionalInteger(name: string, min: number, max: number, fallback: number): number {
    const value = this.body[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw badRequest(`${name} must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  /** An optional object, as a nested request; omitted or null reads as undefined. */
  optionalObject(name: string): ApiRequest | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${name} must be an object`);
    return new ApiRequest(value as Record<string, unknown>);
  }

  /** Optional string-to-string map (publication tags); omitted, null or {} reads as undefined. */
  optionalTags(name: string): Record<string, string> | undefined {
    const value = this.optionalObject(name);
    if (value === undefined) return undefined;
    const tags: Record<string, string> = {};
    let any = false;
    for (const [key, tag] of Object.entries(value.body)) {
      if (typeof tag !== 'string') throw badRequest(`${name}.${key} must be a string`);
      tags[key] = tag;
      any = true;
    }
    return any ? tags : undefined;
  }

  /** A required non-empty array of non-empty strings. */
  requiredStrings(name: string): string[] {
    const value = this.body[name];
    if (!Array.isArray(value) || value.length === 0) throw badRequest(`${name} is required and must be a non-empty array`);
    for (const item of value) if (typeof item !== 'string') throw badRequest(`${name} must hold only strings`);
    return value as string[];
  }

  /** Refuses a Centrifugo option this server does not implement, rather than silently ignoring it. */
  unsupported(name: string): void {
    const value = this.body[name];
    if (value === undefined || value === null || value === false || value === '' || (Array.isArray(value) && value.length === 0)) return;
    throw badRequest(`${name} is not supported`);
  }
}

export function badRequest(message: string): ReplyError {
  return new ReplyError(Errors.badRequest, message);
}
