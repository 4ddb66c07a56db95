/** A fenced read or claim refused because the caller no longer holds the stream's lock. */
export class StreamLockLostError extends Error {
  constructor(readonly stream: string) {
    super(`stream lock of ${stream} not held by this consumer`);
    this.name = 'StreamLockLostError';
  }
}

/** True for the LOCKLOST error reply of the fenced scripts. */
export function isLockLostReply(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('LOCKLOST');
}
