/**
 * One person in one room: the reconnecting client connected to this page's gateway, the room's
 * chat channel (history, presence, join/leave, recovery) and its signals channel (typing; names of anonymous members). UI code reads a
 * snapshot and is told when it changes.
 */

import { createReconnectClient, type ChannelSubscription, type PublicationEvent, type ReconnectClient } from '../../../src/client/index.js';
import { decodePayload, encodePayload, stringField, type Encoding } from '../shared/payload.js';

export interface ChatMessage {
  key: string;
  offset: number | null;
  name: string;
  text: string;
  mine: boolean;
  /** How it arrived: loaded as history on entry, live, or recovered after a reconnect. */
  via: 'history' | 'live' | 'recovered';
}

export interface Member {
  client: string;
  name: string;
  mine: boolean;
}

export type Connection =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number; delayMs: number; code: number; reason: string }
  | { kind: 'disconnected'; reason: string };

export interface ChatSnapshot {
  connection: Connection;
  messages: readonly ChatMessage[];
  members: readonly Member[];
  typing: readonly string[];
  /** Room events and problems, newest last (joins, leaves, lost messages). */
  notices: readonly string[];
}

export interface ChatSessionOptions {
  name: string;
  room: string;
  encoding: Encoding;
  /** Channel of this room's typing and name signals (the gateway's `/demo/config` says which). */
  signalsChannel: string;
  /** Connection token source; omitted: anonymous. */
  getToken?: () => Promise<string>;
}

const HISTORY_ON_ENTRY = 50;
const MAX_MESSAGES = 500;
const MAX_NOTICES = 20;
const TYPING_SHOWN_MS = 3000;
const TYPING_SEND_EVERY_MS = 1500;

export class ChatSession {
  private readonly client: ReconnectClient;
  private readonly chat: ChannelSubscription;
  private readonly typingSub: ChannelSubscription;
  private readonly encoding: Encoding;
  private readonly name: string;
  private snapshot: ChatSnapshot = { connection: { kind: 'connecting' }, messages: [], members: [], typing: [], notices: [] };
  private readonly listeners = new Set<(s: ChatSnapshot) => void>();
  private readonly names = new Map<string, string>();
  private readonly present = new Map<string, string>();
  private readonly typingUntil = new Map<string, number>();
  private lastTypingSent = 0;
  private hereTimer: ReturnType<typeof setTimeout> | null = null;
  private typingTimer: ReturnType<typeof setInterval>;
  private messageSeq = 0;
  /** Joined clients whose name is not known yet: announced once their `here` arrives (or after a second). */
  private readonly pendingJoins = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(options: ChatSessionOptions) {
    this.encoding = options.encoding;
    this.name = options.name;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.client = createReconnectClient({
      url: `${scheme}//${location.host}/connection/websocket`,
      protocol: options.encoding,
      getToken: options.getToken,
      minReconnectDelay: 300,
      maxReconnectDelay: 5000,
      name: 'chat-demo',
    });
    this.client.on('state', ({ state }) => {
      if (state === 'connected') this.update({ connection: { kind: 'connected' } });
      else if (state === 'connecting' && this.snapshot.connection.kind !== 'reconnecting')
        this.update({ connection: { kind: 'connecting' } });
    });
    this.client.on('disconnected', ({ code, reason, reconnect }) => {
      this.update({
        connection: reconnect
          ? { kind: 'reconnecting', attempt: 0, delayMs: 0, code, reason }
          : { kind: 'disconnected', reason: reason || `code ${code}` },
      });
    });
    this.client.on('reconnecting', ({ attempt, delay }) => {
      const c = this.snapshot.connection;
      this.update({
        connection: {
          kind: 'reconnecting',
          attempt,
          delayMs: delay,
          code: c.kind === 'reconnecting' ? c.code : 0,
          reason: c.kind === 'reconnecting' ? c.reason : '',
        },
      });
    });
    this.chat = this.client.subscribe(
      `chat:${options.room}`,
      {
        publication: (p) => this.onMessage(p),
        subscribed: (ctx) => {
          if (!ctx.resubscribe) void this.loadHistory();
          else if (ctx.wasRecovering && !ctx.recovered) {
            this.notice('Some messages sent while you were away could not be recovered; showing the latest history.');
            void this.loadHistory();
          }
          void this.loadPresence();
        },
      },
      { joinLeave: true },
    );
    this.chat.subscription.on('join', (ctx) => this.onJoin(ctx.info.client, ctx.info.user));
    this.chat.subscription.on('leave', (ctx) => this.onLeave(ctx.info.client));
    // By default signals travel on a sibling channel in the chat namespace (room names cannot hold
    // ':'), so they need no namespace of their own; recovered (replayed) signals are ignored.
    this.typingSub = this.client.subscribe(
      options.signalsChannel,
      {
        publication: (p) => this.onSignal(p),
        subscribed: () => this.announceSoon(),
      },
      { recoverable: false, positioned: false },
    );
    this.typingTimer = setInterval(() => this.refreshTyping(), 500);
    this.client.connect();
  }

  get current(): ChatSnapshot {
    return this.snapshot;
  }

  subscribe(listener: (s: ChatSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async send(text: string): Promise<void> {
    await this.chat.publish(encodePayload(this.encoding, { text, name: this.name }));
  }

  /** Call on every keystroke in the message field; sends at most one signal per interval. */
  typed(): void {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_SEND_EVERY_MS || this.client.clientId === null) return;
    this.lastTypingSent = now;
    this.signal('typing');
  }

  async close(): Promise<void> {
    clearInterval(this.typingTimer);
    if (this.hereTimer !== null) clearTimeout(this.hereTimer);
    for (const timer of this.pendingJoins.values()) clearTimeout(timer);
    this.listeners.clear();
    await this.client.close();
  }

  private update(patch: Partial<ChatSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l(this.snapshot);
  }

  private notice(text: string): void {
    this.update({ notices: [...this.snapshot.notices, text].slice(-MAX_NOTICES) });
  }

  private toMessage(data: unknown, offset: number | undefined, client: string | undefined, via: ChatMessage['via']): ChatMessage | null {
    const value = decodePayload(data);
    const text = stringField(value, 'text');
    if (text === null) return null;
    const name = stringField(value, 'name') ?? 'someone';
    if (client !== undefined) this.names.set(client, name);
    return {
      key: offset !== undefined ? `o${offset}` : `m${this.messageSeq++}`,
      offset: offset ?? null,
      name,
      text,
      via,
      mine: client !== undefined && client === this.client.clientId,
    };
  }

  private addMessages(incoming: ChatMessage[]): void {
    const byKey = new Map(this.snapshot.messages.map((m) => [m.key, m]));
    for (const m of incoming) if (!byKey.has(m.key)) byKey.set(m.key, m);
    const all = [...byKey.values()].sort((a, b) => (a.offset ?? Number.MAX_SAFE_INTEGER) - (b.offset ?? Number.MAX_SAFE_INTEGER));
    this.update({ messages: all.slice(-MAX_MESSAGES) });
    this.refreshMembers();
  }

  private onMessage(p: PublicationEvent): void {
    const m = this.toMessage(p.data, p.offset, p.info?.client, p.recovered ? 'recovered' : 'live');
    if (m === null) return;
    if (p.info !== undefined) this.typingUntil.delete(p.info.client);
    this.addMessages([m]);
    this.refreshTyping();
  }

  private async loadHistory(): Promise<void> {
    try {
      const page = await this.chat.history({ limit: HISTORY_ON_ENTRY, reverse: true });
      const messages = page.publications
        .reverse()
        .map((p) => this.toMessage(p.data, p.offset, p.info?.client, 'history'))
        .filter((m): m is ChatMessage => m !== null);
      this.addMessages(messages);
    } catch (err) {
      this.notice(`History is not available: ${(err as { message?: string }).message ?? 'error'}`);
    }
  }

  private async loadPresence(): Promise<void> {
    try {
      const result = await this.chat.presence();
      this.present.clear();
      for (const [client, info] of Object.entries(result.clients)) this.present.set(client, info.user);
      this.refreshMembers();
    } catch {
      // Presence may be off for a namespace; the list then stays empty.
    }
  }

  private onJoin(client: string, user: string): void {
    if (this.present.has(client)) return;
    this.present.set(client, user);
    this.refreshMembers();
    if (client !== this.client.clientId) {
      if (this.names.has(client) || user !== '') this.notice(`${this.displayName(client)} joined`);
      else
        this.pendingJoins.set(
          client,
          setTimeout(() => this.announceJoin(client), 1000),
        );
      this.announceSoon();
    }
  }

  private announceJoin(client: string): void {
    const timer = this.pendingJoins.get(client);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.pendingJoins.delete(client);
    this.notice(`${this.displayName(client)} joined`);
  }

  private onLeave(client: string): void {
    this.announceJoin(client);
    if (!this.present.delete(client)) return;
    this.typingUntil.delete(client);
    this.notice(`${this.displayName(client)} left`);
    this.refreshMembers();
    this.refreshTyping();
  }

  /** `here` tells newcomers this client's name (anonymous connections carry none); `typing` shows the indicator. */
  private onSignal(p: PublicationEvent): void {
    if (p.recovered) return;
    const value = decodePayload(p.data);
    const kind = stringField(value, 'text');
    const name = stringField(value, 'name');
    const client = p.info?.client;
    if (client === undefined || name === null) return;
    this.names.set(client, name);
    this.announceJoin(client);
    if (kind === 'typing' && client !== this.client.clientId) this.typingUntil.set(client, Date.now() + TYPING_SHOWN_MS);
    this.refreshMembers();
    this.refreshTyping();
  }

  private announceSoon(): void {
    if (this.hereTimer !== null) return;
    this.hereTimer = setTimeout(() => {
      this.hereTimer = null;
      this.signal('here');
    }, 200);
  }

  private signal(kind: 'here' | 'typing'): void {
    if (this.typingSub.state !== 'subscribed') return;
    this.typingSub.publish(encodePayload(this.encoding, { text: kind, name: this.name })).catch(() => undefined);
  }

  private displayName(client: string): string {
    const user = this.present.get(client);
    return this.names.get(client) ?? (user !== undefined && user !== '' ? user : `guest ${client.slice(0, 4)}`);
  }

  private refreshMembers(): void {
    const me = this.client.clientId;
    const members = [...this.present.keys()]
      .map((client) => ({
        client,
        mine: client === me,
        name: client === me ? this.name : this.displayName(client),
      }))
      .sort((a, b) => Number(b.mine) - Number(a.mine) || a.name.localeCompare(b.name));
    const same =
      members.length === this.snapshot.members.length &&
      members.every((m, i) => m.client === this.snapshot.members[i]?.client && m.name === this.snapshot.members[i]?.name);
    if (!same) this.update({ members });
  }

  private refreshTyping(): void {
    const now = Date.now();
    for (const [client, until] of this.typingUntil) if (until <= now) this.typingUntil.delete(client);
    const typing = [...this.typingUntil.keys()].map((c) => this.displayName(c)).sort();
    if (typing.join('\n') !== this.snapshot.typing.join('\n')) this.update({ typing });
  }
}
