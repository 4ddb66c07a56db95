/**
 * The clocks of a client connection: the stale timer (connect must come in time), pings and the
 * pong deadline, and the expiry timer shared by connections and subscriptions (close, or ask a
 * refresh proxy, when an unrefreshed expiry passes).
 */

import { Disconnects, type DisconnectCode } from '../protocol/index.js';
import { pingWheel, type PingWheel, type WheelEntry } from './ping-wheel.js';

/** setTimeout's largest delay; longer ones would fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Whole seconds until expiry, rounded down so the client refreshes before it (ConnectResult/SubscribeResult `ttl`). */
export function ttlSeconds(expireAtMs: number, nowMs = Date.now()): number {
  return Math.max(1, Math.floor((expireAtMs - nowMs) / 1000));
}

/** What happens when an expiry comes due. */
export interface ExpiryActions {
  /** The expiry as it stands when the timer fires (a refresh may have moved it). */
  expireAtMs(): number;
  /** Grace after the expiry before {@link expired} runs. */
  graceMs: number;
  /** Present: the backend is asked at the expiry itself (server-side refresh) instead of expiring. */
  refresh?: () => void;
  /** The expiry passed unrefreshed: close the connection or end the subscription. */
  expired(): void;
  /** The expiry moved later meanwhile: arm again. */
  rearm(): void;
}

/** Arms the expiry timer for `actions`; null when nothing expires (expiry 0). The caller clears it. */
export function armExpiry(actions: ExpiryActions): NodeJS.Timeout | null {
  const at = actions.expireAtMs();
  if (at <= 0) return null;
  const untilExpiry = Math.max(0, at - Date.now());
  const refresh = actions.refresh;
  if (refresh !== undefined) return setTimeout(refresh, Math.min(untilExpiry, MAX_TIMEOUT_MS));
  return setTimeout(
    () => {
      if (Date.now() >= actions.expireAtMs()) actions.expired();
      else actions.rearm();
    },
    Math.min(untilExpiry + actions.graceMs, MAX_TIMEOUT_MS),
  );
}

/** What the timers need from their connection. */
export interface TimedConnection {
  /** Queues a ping (an empty reply). */
  sendPing(): void;
  close(code: DisconnectCode): void;
}

export interface SessionTimerOptions {
  staleTimeoutMs: number;
  pingIntervalMs: number;
  /** Shorter than the ping interval (the configuration refuses anything else). */
  pongTimeoutMs: number;
  /** Unidirectional clients cannot answer pings: no pong deadline. */
  unidirectional: boolean;
}

/**
 * The stale, ping, pong and expiry timers of one connection. Pings and the pong deadline run on the
 * process's {@link PingWheel} (no Node timer per idle connection); the stale timer lives only until
 * the connect, the expiry timer only for connections that expire.
 */
export class SessionTimers implements WheelEntry {
  wheelSlot = -1;
  private stopped = false;
  /** Wheel time of the next ping; 0 before pinging starts. */
  private nextPingAt = 0;
  /** Wheel time by which the outstanding ping must be answered; 0: no ping outstanding. */
  private pongDeadline = 0;
  private staleTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;

  /** `options` is shared by connections of the same kind; `wheel` is the process's unless a test brings its own. */
  constructor(
    private readonly options: SessionTimerOptions,
    private readonly conn: TimedConnection,
    private readonly wheel: PingWheel = pingWheel,
  ) {
    this.staleTimer = setTimeout(() => conn.close(Disconnects.stale), options.staleTimeoutMs);
  }

  /** The connect succeeded: the stale timer stops, pings start at a random point in [interval/2, interval). */
  startPinging(): void {
    if (this.staleTimer !== null) clearTimeout(this.staleTimer);
    this.staleTimer = null;
    if (this.stopped) return;
    const interval = this.options.pingIntervalMs;
    this.nextPingAt = this.wheel.now() + interval / 2 + Math.random() * (interval / 2);
    this.wheel.schedule(this, this.nextPingAt);
  }

  /** The wheel's call: the pong deadline passed unanswered (close 3012), or a ping is due. */
  onWheelTick(now: number): void {
    if (this.stopped) return;
    if (this.pongDeadline > 0 && now >= this.pongDeadline) {
      this.conn.close(Disconnects.noPong);
      return;
    }
    if (now >= this.nextPingAt) {
      this.nextPingAt = now + this.options.pingIntervalMs;
      this.conn.sendPing();
      // Unidirectional clients cannot answer: their pings only keep intermediaries from idling out.
      if (!this.options.unidirectional) this.pongDeadline = now + this.options.pongTimeoutMs;
    }
    if (this.stopped) return;
    const due = this.pongDeadline > 0 ? Math.min(this.pongDeadline, this.nextPingAt) : this.nextPingAt;
    this.wheel.schedule(this, due);
  }

  /** A pong arrived; false when no ping was outstanding (a protocol violation). */
  pong(): boolean {
    if (this.pongDeadline === 0) return false;
    this.pongDeadline = 0;
    return true;
  }

  /** (Re)arms the connection's expiry timer; `null` only clears it. */
  setExpiry(actions: ExpiryActions | null): void {
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = actions === null || this.stopped ? null : armExpiry(actions);
  }

  /** Clears every timer; nothing fires afterwards. */
  stop(): void {
    this.stopped = true;
    this.wheel.cancel(this);
    if (this.staleTimer !== null) clearTimeout(this.staleTimer);
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.staleTimer = null;
    this.expiryTimer = null;
  }
}
