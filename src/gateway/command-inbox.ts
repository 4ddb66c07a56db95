/**
 * A connection's received commands: decoding a frame, the command rate limit, the inbox bounded
 * by count and by bytes (CLIENT_INBOX_MAX_SIZE), and running the commands strictly in order with
 * publishes pipelined.
 */

import { performance } from 'node:perf_hooks';
import { Disconnects, type Codec, type Command, type DisconnectCode } from '../protocol/index.js';
import { InboxBudget, type ReadFlow } from './inbox-budget.js';

export type Method = Exclude<keyof Command, 'id'>;

/** Request fields in protocol field-number order: the first one present names the command. */
const METHODS: readonly Method[] = [
  'connect',
  'subscribe',
  'unsubscribe',
  'publish',
  'presence',
  'presence_stats',
  'history',
  'ping',
  'send',
  'rpc',
  'refresh',
  'sub_refresh',
];

export function methodOf(cmd: Command): Method | undefined {
  for (const m of METHODS) if (cmd[m] !== undefined) return m;
  return undefined;
}

/** Publishes of one connection whose appends may be outstanding at once. */
const maxPipelinedPublishes = 32;

/** What the inbox runs its commands on. */
export interface CommandRunner {
  isClosed(): boolean;
  /** A pong arrived (a command without id and method); false when the connection was closed for it. */
  pong(): boolean;
  close(code: DisconnectCode): void;
  /** True when this command is a publish that may run without waiting for the commands before it to finish. */
  canPipeline(cmd: Command): boolean;
  /** Starts a pipelined publish; `settled` runs once it has its reply. */
  startPublish(cmd: Command, settled: () => void): void;
  /** Runs any other command to its reply. */
  run(cmd: Command): Promise<void>;
}

/** The limits of every connection (the gateway's client configuration: one object for all). */
export interface CommandInboxLimits {
  /** Commands a second (token bucket, burst of one second). */
  readonly commandRateLimit: number;
  /** Bytes of received commands held at most (CLIENT_INBOX_MAX_SIZE). */
  readonly inboxMaxSize: number;
}

export class CommandInbox {
  /** Replaced by fresh empty arrays once drained, so an idle connection holds no grown backing store. */
  private commands: Command[] = [];
  /** Bytes each queued command holds against the inbox budget, in inbox order. */
  private costs: number[] = [];
  private readonly budget: InboxBudget;
  private readonly maxCommands: number;
  private processing = false;
  private publishesInFlight = 0;
  /** Created when a command first waits for pipelined publishes. */
  private publishWaiters: (() => void)[] | null = null;
  private rateTokens: number;
  private rateAt = performance.now();

  /** `flow` is stopped while the byte budget is full (the connection's transport). */
  constructor(
    private readonly options: CommandInboxLimits,
    flow: ReadFlow,
    private readonly codec: Codec,
    private readonly runner: CommandRunner,
  ) {
    this.rateTokens = options.commandRateLimit;
    this.maxCommands = Math.max(64, options.commandRateLimit);
    this.budget = new InboxBudget(options.inboxMaxSize, flow);
  }

  /** True while the received commands held reach CLIENT_INBOX_MAX_SIZE. */
  get full(): boolean {
    return this.budget.full;
  }

  /**
   * Takes one frame of commands. A frame that does not decode, is empty, or breaks the rate or
   * inbox limit closes the connection (3501, 3508); decode problems are returned for the log.
   */
  receive(frame: Buffer): string | null {
    let commands: Command[];
    try {
      commands = this.codec.decodeCommands(frame);
    } catch (err) {
      this.runner.close(Disconnects.badRequest);
      return err instanceof Error ? err.message : String(err);
    }
    if (commands.length === 0) {
      this.runner.close(Disconnects.badRequest);
      return null;
    }
    if (!this.takeRateTokens(commands.length) || this.commands.length + commands.length > this.maxCommands) {
      this.runner.close(Disconnects.tooManyRequests);
      return null;
    }
    const cost = Math.ceil(frame.length / commands.length);
    for (const cmd of commands) {
      if ((cmd.id === undefined || cmd.id === 0) && methodOf(cmd) === undefined) {
        if (!this.runner.pong()) return null;
        continue;
      }
      this.commands.push(cmd);
      this.costs.push(cost);
      this.budget.take(cost);
    }
    void this.drain();
    return null;
  }

  /** Drops everything held (the connection closed). */
  clear(): void {
    this.commands = [];
    this.costs = [];
    this.budget.clear();
  }

  private takeRateTokens(n: number): boolean {
    const rate = this.options.commandRateLimit;
    const now = performance.now();
    this.rateTokens = Math.min(rate, this.rateTokens + ((now - this.rateAt) * rate) / 1000);
    this.rateAt = now;
    if (this.rateTokens < n) return false;
    this.rateTokens -= n;
    return true;
  }

  /**
   * Runs the inbox in order. A publish is dispatched without waiting for its append (its append is
   * issued before the next command runs, so publishes keep their order in the stream), up to
   * {@link maxPipelinedPublishes} at a time; any other command first waits for those to finish.
   */
  private async drain(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      let cmd = this.commands.shift();
      while (cmd !== undefined && !this.runner.isClosed()) {
        const cost = this.costs.shift() ?? 0;
        if (this.runner.canPipeline(cmd)) {
          while (this.publishesInFlight >= maxPipelinedPublishes) await this.publishSettled();
          if (this.runner.isClosed()) break;
          this.publishesInFlight++;
          this.runner.startPublish(cmd, () => {
            this.budget.release(cost);
            this.publishFinished();
          });
        } else {
          while (this.publishesInFlight > 0) await this.publishSettled();
          if (this.runner.isClosed()) break;
          await this.runner.run(cmd);
          this.budget.release(cost);
        }
        cmd = this.commands.shift();
      }
    } finally {
      this.processing = false;
      if (this.commands.length === 0) {
        this.commands = [];
        this.costs = [];
      }
    }
  }

  private publishSettled(): Promise<void> {
    return new Promise((resolve) => (this.publishWaiters ??= []).push(resolve));
  }

  private publishFinished(): void {
    this.publishesInFlight--;
    const waiters = this.publishWaiters;
    if (waiters === null) return;
    this.publishWaiters = null;
    for (const w of waiters) w();
  }
}
