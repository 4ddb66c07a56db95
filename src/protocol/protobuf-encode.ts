/** Protobuf encoding of server replies; zero values are omitted (proto3), sub-messages are written when set. */

import { ProtoWriter, WIRE_LEN } from './proto-wire.js';
import type { ClientInfo, ConnectResult, HistoryResult, Publication, Push, Reply, SubscribeResult } from './types.js';

const w = new ProtoWriter();

/** Encodes one Reply with its varint length prefix. An empty Reply (ping) is the single byte 0x00. */
export function encodeProtobufReply(reply: Reply): Buffer {
  w.reset();
  try {
    const start = w.beginLength();
    writeReply(reply);
    w.endLength(start);
    return w.finish();
  } finally {
    w.reset();
  }
}

function begin(field: number): number {
  w.tag(field, WIRE_LEN);
  return w.beginLength();
}

/** One branch per Reply field in field-number order (a flat table; longer than ~60 lines on purpose). */
function writeReply(r: Reply): void {
  w.uint32Field(1, r.id);
  if (r.error) {
    const s = begin(2);
    w.uint32Field(1, r.error.code);
    w.stringField(2, r.error.message);
    w.boolField(3, r.error.temporary);
    w.endLength(s);
  }
  if (r.push) {
    const s = begin(4);
    writePush(r.push);
    w.endLength(s);
  }
  if (r.connect) {
    const s = begin(5);
    writeConnectResult(r.connect);
    w.endLength(s);
  }
  if (r.subscribe) {
    const s = begin(6);
    writeSubscribeResult(r.subscribe);
    w.endLength(s);
  }
  if (r.unsubscribe) w.endLength(begin(7));
  if (r.publish) w.endLength(begin(8));
  if (r.presence) {
    const s = begin(9);
    const presence = r.presence.presence;
    for (const client in presence) {
      const info = presence[client];
      if (info === undefined) continue;
      const e = begin(1);
      w.tag(1, WIRE_LEN);
      w.stringValue(client);
      const v = begin(2);
      writeClientInfo(info);
      w.endLength(v);
      w.endLength(e);
    }
    w.endLength(s);
  }
  if (r.presence_stats) {
    const s = begin(10);
    w.uint32Field(1, r.presence_stats.num_clients);
    w.uint32Field(2, r.presence_stats.num_users);
    w.endLength(s);
  }
  if (r.history) {
    const s = begin(11);
    writeHistoryResult(r.history);
    w.endLength(s);
  }
  if (r.ping) w.endLength(begin(12));
  if (r.rpc) {
    const s = begin(13);
    w.bytesField(1, r.rpc.data);
    w.endLength(s);
  }
  if (r.refresh) {
    const s = begin(14);
    w.stringField(1, r.refresh.client);
    w.stringField(2, r.refresh.version);
    w.boolField(3, r.refresh.expires);
    w.uint32Field(4, r.refresh.ttl);
    w.endLength(s);
  }
  if (r.sub_refresh) {
    const s = begin(15);
    w.boolField(1, r.sub_refresh.expires);
    w.uint32Field(2, r.sub_refresh.ttl);
    w.endLength(s);
  }
}

/** One branch per Push field in field-number order (a flat table; longer than ~60 lines on purpose). */
function writePush(p: Push): void {
  w.uintField(1, p.id);
  w.stringField(2, p.channel);
  if (p.pub) {
    const s = begin(4);
    writePublication(p.pub);
    w.endLength(s);
  }
  if (p.join) {
    const s = begin(5);
    writeInfoField(1, p.join.info);
    w.endLength(s);
  }
  if (p.leave) {
    const s = begin(6);
    writeInfoField(1, p.leave.info);
    w.endLength(s);
  }
  if (p.unsubscribe) {
    const s = begin(7);
    w.uint32Field(2, p.unsubscribe.code);
    w.stringField(3, p.unsubscribe.reason);
    w.endLength(s);
  }
  if (p.message) {
    const s = begin(8);
    w.bytesField(1, p.message.data);
    w.endLength(s);
  }
  if (p.subscribe) {
    const s = begin(9);
    w.boolField(1, p.subscribe.recoverable);
    w.stringField(4, p.subscribe.epoch);
    w.uintField(5, p.subscribe.offset);
    w.boolField(6, p.subscribe.positioned);
    w.bytesField(7, p.subscribe.data);
    w.endLength(s);
  }
  if (p.connect) {
    // Push.Connect numbers its fields differently from ConnectResult.
    const s = begin(10);
    const c = p.connect;
    w.stringField(1, c.client);
    w.stringField(2, c.version);
    w.bytesField(3, c.data);
    writeSubsMap(4, c.subs);
    w.boolField(5, c.expires);
    w.uint32Field(6, c.ttl);
    w.uint32Field(7, c.ping);
    w.boolField(8, c.pong);
    w.stringField(9, c.session);
    w.stringField(10, c.node);
    w.uintField(11, c.time);
    w.endLength(s);
  }
  if (p.disconnect) {
    const s = begin(11);
    w.uint32Field(1, p.disconnect.code);
    w.stringField(2, p.disconnect.reason);
    w.boolField(3, p.disconnect.reconnect);
    w.endLength(s);
  }
}

function writeConnectResult(c: ConnectResult): void {
  w.stringField(1, c.client);
  w.stringField(2, c.version);
  w.boolField(3, c.expires);
  w.uint32Field(4, c.ttl);
  w.bytesField(5, c.data);
  writeSubsMap(6, c.subs);
  w.uint32Field(7, c.ping);
  w.boolField(8, c.pong);
  w.stringField(9, c.session);
  w.stringField(10, c.node);
  w.uintField(11, c.time);
}

function writeSubsMap(field: number, subs: Record<string, SubscribeResult> | undefined): void {
  if (!subs) return;
  for (const channel in subs) {
    const sub = subs[channel];
    if (sub === undefined) continue;
    const e = begin(field);
    w.tag(1, WIRE_LEN);
    w.stringValue(channel);
    const v = begin(2);
    writeSubscribeResult(sub);
    w.endLength(v);
    w.endLength(e);
  }
}

function writeSubscribeResult(s: SubscribeResult): void {
  w.boolField(1, s.expires);
  w.uint32Field(2, s.ttl);
  w.boolField(3, s.recoverable);
  w.stringField(6, s.epoch);
  if (s.publications) {
    for (const pub of s.publications) {
      const p = begin(7);
      writePublication(pub);
      w.endLength(p);
    }
  }
  w.boolField(8, s.recovered);
  w.uintField(9, s.offset);
  w.boolField(10, s.positioned);
  w.bytesField(11, s.data);
  w.boolField(12, s.was_recovering);
  w.boolField(13, s.delta);
  w.uintField(14, s.id);
}

function writeHistoryResult(h: HistoryResult): void {
  for (const pub of h.publications) {
    const p = begin(1);
    writePublication(pub);
    w.endLength(p);
  }
  w.stringField(2, h.epoch);
  w.uintField(3, h.offset);
}

function writePublication(p: Publication): void {
  w.bytesField(4, p.data);
  if (p.info) writeInfoField(5, p.info);
  w.uintField(6, p.offset);
  if (p.tags) {
    for (const k in p.tags) {
      const v = p.tags[k];
      if (v === undefined) continue;
      const e = begin(7);
      w.tag(1, WIRE_LEN);
      w.stringValue(k);
      w.tag(2, WIRE_LEN);
      w.stringValue(v);
      w.endLength(e);
    }
  }
  w.boolField(8, p.delta);
  w.uintField(9, p.time);
  w.stringField(10, p.channel);
}

function writeInfoField(field: number, info: ClientInfo): void {
  const s = begin(field);
  writeClientInfo(info);
  w.endLength(s);
}

function writeClientInfo(info: ClientInfo): void {
  w.stringField(1, info.user);
  w.stringField(2, info.client);
  w.bytesField(3, info.conn_info);
  w.bytesField(4, info.chan_info);
}
