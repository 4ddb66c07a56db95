/** A minimal typed event emitter that runs in Node and in browsers (no `node:events`). */

export type EventMap = { [event: string]: unknown };
export type Listener<T> = (ctx: T) => void;

export class TypedEmitter<Events extends EventMap> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }

  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const wrapper: Listener<Events[E]> = (ctx) => {
      this.off(event, wrapper);
      listener(ctx);
    };
    return this.on(event, wrapper);
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }

  removeAllListeners(event?: keyof Events): this {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
    return this;
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  protected emit<E extends keyof Events>(event: E, ctx: Events[E]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    // A copy, so that a listener removing itself (once) does not skip the next one.
    for (const listener of [...set]) (listener as Listener<Events[E]>)(ctx);
  }
}
