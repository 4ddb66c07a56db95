/**
 * Centrifuge client protocol v2 message types (proto package centrifugal.centrifuge.protocol).
 *
 * Field names are the protocol's snake_case names so that one object shape serves both the JSON
 * and the protobuf codec. `bytes` fields are `Uint8Array`: for JSON clients they hold the UTF-8
 * text of embedded raw JSON, for protobuf clients arbitrary bytes. An omitted optional field means
 * the protocol's zero value (0, "", false, empty).
 */

export type ChannelName = string;
export type ClientId = string;
export type UserId = string;
/** Raw payload of a protocol `bytes` field. */
export type Bytes = Uint8Array;

export interface ClientInfo {
  user: UserId;
  client: ClientId;
  conn_info?: Bytes;
  chan_info?: Bytes;
}

export interface StreamPosition {
  offset: number;
  epoch: string;
}

export interface Publication {
  data: Bytes;
  info?: ClientInfo;
  /** Position in the channel's history stream; 0/omitted when the channel keeps no history. */
  offset?: number;
  tags?: Record<string, string>;
  delta?: boolean;
  /** Unix ms. */
  time?: number;
  channel?: ChannelName;
}

export interface Error {
  code: number;
  message: string;
  temporary?: boolean;
}

// ---- requests (client -> server) ----

export interface ConnectRequest {
  token?: string;
  data?: Bytes;
  subs?: Record<ChannelName, SubscribeRequest>;
  name?: string;
  version?: string;
  headers?: Record<string, string>;
}

/**
 * A tag filter (SubscribeRequest.tf): a leaf (`op` empty) compares the publication tag `key` with
 * `cmp` against `val` or `vals`; `and`/`or`/`not` combine `nodes`.
 */
export interface FilterNode {
  op?: string;
  key?: string;
  cmp?: string;
  val?: string;
  vals?: string[];
  nodes?: FilterNode[];
}

export interface SubscribeRequest {
  channel?: ChannelName;
  token?: string;
  recover?: boolean;
  epoch?: string;
  offset?: number;
  data?: Bytes;
  positioned?: boolean;
  recoverable?: boolean;
  join_leave?: boolean;
  delta?: string;
  tf?: FilterNode;
  /** Bit 1: channel compaction; bit 2: reject an unrecovered subscribe with 112. */
  flag?: number;
  /** 0/omitted: stream subscription; other values are map and shared-poll subscriptions. */
  type?: number;
}

export interface UnsubscribeRequest {
  channel?: ChannelName;
}
export interface PublishRequest {
  channel?: ChannelName;
  data?: Bytes;
}
export interface PresenceRequest {
  channel?: ChannelName;
}
export interface PresenceStatsRequest {
  channel?: ChannelName;
}
export interface HistoryRequest {
  channel?: ChannelName;
  /** 0/omitted: no publications, only the stream top; -1: all; N > 0: up to N. */
  limit?: number;
  since?: StreamPosition;
  reverse?: boolean;
}
export interface PingRequest {
  [key: string]: never;
}
export interface SendRequest {
  data?: Bytes;
}
export interface RPCRequest {
  data?: Bytes;
  method?: string;
}
export interface RefreshRequest {
  token?: string;
}
export interface SubRefreshRequest {
  channel?: ChannelName;
  token?: string;
}

/** One client command. `id` is 0/omitted for `send` and for pongs (a command with no request). */
export interface Command {
  id?: number;
  connect?: ConnectRequest;
  subscribe?: SubscribeRequest;
  unsubscribe?: UnsubscribeRequest;
  publish?: PublishRequest;
  presence?: PresenceRequest;
  presence_stats?: PresenceStatsRequest;
  history?: HistoryRequest;
  ping?: PingRequest;
  send?: SendRequest;
  rpc?: RPCRequest;
  refresh?: RefreshRequest;
  sub_refresh?: SubRefreshRequest;
}

// ---- results (server -> client) ----

export interface ConnectResult {
  client: ClientId;
  version?: string;
  expires?: boolean;
  ttl?: number;
  data?: Bytes;
  subs?: Record<ChannelName, SubscribeResult>;
  ping?: number;
  pong?: boolean;
  session?: string;
  node?: string;
  time?: number;
}

export interface SubscribeResult {
  expires?: boolean;
  ttl?: number;
  recoverable?: boolean;
  epoch?: string;
  publications?: Publication[];
  recovered?: boolean;
  offset?: number;
  positioned?: boolean;
  data?: Bytes;
  was_recovering?: boolean;
  delta?: boolean;
  /** Channel compaction: pushes of this subscription may carry this id instead of the channel. */
  id?: number;
}

export interface UnsubscribeResult {
  [key: string]: never;
}
export interface PublishResult {
  [key: string]: never;
}
export interface PresenceResult {
  presence: Record<ClientId, ClientInfo>;
}
export interface PresenceStatsResult {
  num_clients: number;
  num_users: number;
}
export interface HistoryResult {
  publications: Publication[];
  epoch: string;
  offset: number;
}
export interface PingResult {
  [key: string]: never;
}
export interface RPCResult {
  data?: Bytes;
}
export interface RefreshResult {
  client?: ClientId;
  version?: string;
  expires?: boolean;
  ttl?: number;
}
export interface SubRefreshResult {
  expires?: boolean;
  ttl?: number;
}

// ---- pushes ----

export interface Join {
  info: ClientInfo;
}
export interface Leave {
  info: ClientInfo;
}
export interface Unsubscribe {
  code: number;
  reason: string;
}
export interface Message {
  data: Bytes;
}
export interface Subscribe {
  recoverable?: boolean;
  epoch?: string;
  offset?: number;
  positioned?: boolean;
  data?: Bytes;
}
export interface Disconnect {
  code: number;
  reason: string;
  reconnect?: boolean;
}

/** An asynchronous server -> client message, carried in `Reply.push` with no id. */
export interface Push {
  /** Channel compaction: the subscription's id (SubscribeResult.id) in place of `channel`. */
  id?: number;
  channel?: ChannelName;
  pub?: Publication;
  join?: Join;
  leave?: Leave;
  unsubscribe?: Unsubscribe;
  message?: Message;
  subscribe?: Subscribe;
  /** Unidirectional transports: the connect result, as the first message. */
  connect?: ConnectResult;
  disconnect?: Disconnect;
}

/**
 * One server message: a reply to a command (id > 0, `error` or one result), a push (no id, `push`),
 * or a ping (no id, nothing else: `{}` / 0x00).
 */
export interface Reply {
  id?: number;
  error?: Error;
  push?: Push;
  connect?: ConnectResult;
  subscribe?: SubscribeResult;
  unsubscribe?: UnsubscribeResult;
  publish?: PublishResult;
  presence?: PresenceResult;
  presence_stats?: PresenceStatsResult;
  history?: HistoryResult;
  ping?: PingResult;
  rpc?: RPCResult;
  refresh?: RefreshResult;
  sub_refresh?: SubRefreshResult;
}

/** Wire encoding negotiated per connection. */
export type ProtocolType = 'json' | 'protobuf';
