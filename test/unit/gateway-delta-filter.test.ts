// Fossil delta publications as centrifuge-js decodes them (JSON string data, protobuf bytes) and
// the tag filter rules, on small hand-picked cases.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDelta } from 'fossil-delta';
import { deltaPublication, deltaPublications } from '../../src/gateway/delta-publication.js';
import { matchesTagsFilter, validateTagsFilter } from '../../src/gateway/tags-filter.js';

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
const doc = (n: number): string =>
  JSON.stringify({ n, items: Array.from({ length: 30 }, (_, i) => `item ${i} — ✓ ${i === n ? 'changed' : ''}`) });

/** What the JSON client does: JSON.parse(pub.data), then (delta) applyDelta(prev, utf8(that string)). */
function jsonClientDecode(data: Uint8Array, delta: boolean, prev: Uint8Array | null): Uint8Array {
  const s = JSON.parse(Buffer.from(data).toString('utf8')) as string;
  return delta ? new Uint8Array(applyDelta(prev!, enc(s))) : enc(s);
}

void describe('delta publications', () => {
  void it('sends the first publication in full and later ones as deltas both client builds rebuild exactly', () => {
    const a = enc(doc(1));
    const b = enc(doc(2));
    const first = deltaPublication({ data: a, offset: 1 }, null);
    assert.equal(first.json.delta, undefined);
    assert.equal(first.protobuf.data, a);
    assert.deepEqual(Buffer.from(jsonClientDecode(first.json.data, false, null)), a);
    const next = deltaPublication({ data: b, offset: 2 }, a);
    assert.equal(next.json.delta, true);
    assert.equal(next.protobuf.delta, true);
    assert.ok(next.protobuf.data.length < b.length / 4);
    assert.deepEqual(Buffer.from(jsonClientDecode(next.json.data, true, a)), b);
    assert.deepEqual(Buffer.from(applyDelta(a, next.protobuf.data)), b);
  });

  void it('falls back to the full payload when the delta would not be smaller', () => {
    const d = deltaPublication({ data: enc('{"a":1}') }, enc('{"completely":"different and longer"}'));
    assert.equal(d.protobuf.delta, undefined);
    assert.equal(d.json.delta, undefined);
  });

  void it('leaves a payload that is not JSON as it is for JSON subscribers (the encoder refuses it with 3506)', () => {
    const binary = Buffer.from([0xff, 0x00, 0x01]);
    assert.equal(deltaPublication({ data: binary }, null).json.data, binary);
    const notJson = enc('plain text');
    assert.equal(deltaPublication({ data: notJson }, enc('plain text!')).json.data, notJson);
  });

  void it('chains recovered publications: first full, each next against the one before', () => {
    const pubs = [1, 2, 3].map((n) => ({ data: enc(doc(n)), offset: n }));
    const { json, protobuf } = deltaPublications(pubs, null);
    assert.deepEqual(
      protobuf.map((p) => p.delta === true),
      [false, true, true],
    );
    let prev: Uint8Array | null = null;
    for (const [i, p] of json.entries()) {
      prev = jsonClientDecode(p.data, p.delta === true, prev);
      assert.deepEqual(Buffer.from(prev), pubs[i]!.data);
    }
  });
});

void describe('tags filter', () => {
  void it('compares leaves and combines with and/or/not', () => {
    const tags = { kind: 'goal', minute: '88', team: 'home' };
    const yes = [
      { key: 'kind', cmp: 'eq', val: 'goal' },
      { key: 'kind', cmp: 'neq', val: 'card' },
      { key: 'team', cmp: 'in', vals: ['away', 'home'] },
      { key: 'x', cmp: 'nin', vals: ['a'] },
      { key: 'minute', cmp: 'ex' },
      { key: 'x', cmp: 'nex' },
      { key: 'team', cmp: 'sw', val: 'ho' },
      { key: 'team', cmp: 'ew', val: 'me' },
      { key: 'team', cmp: 'ct', val: 'om' },
      { key: 'minute', cmp: 'lt', val: '90' },
      { key: 'minute', cmp: 'lte', val: '88' },
      { key: 'minute', cmp: 'gt', val: '9' },
      { key: 'minute', cmp: 'gte', val: '88' },
      {
        op: 'and',
        nodes: [
          { key: 'kind', cmp: 'eq', val: 'goal' },
          { key: 'team', cmp: 'eq', val: 'home' },
        ],
      },
      {
        op: 'or',
        nodes: [
          { key: 'kind', cmp: 'eq', val: 'card' },
          { key: 'team', cmp: 'eq', val: 'home' },
        ],
      },
      { op: 'not', nodes: [{ key: 'kind', cmp: 'eq', val: 'card' }] },
    ];
    for (const f of yes) {
      assert.equal(validateTagsFilter(f), null, JSON.stringify(f));
      assert.equal(matchesTagsFilter(f, tags), true, JSON.stringify(f));
    }
    assert.equal(matchesTagsFilter({ key: 'minute', cmp: 'gt', val: 'abc' }, tags), false, 'non-numeric comparison');
    assert.equal(matchesTagsFilter({ key: 'kind', cmp: 'eq', val: 'goal' }, undefined), false, 'no tags');
  });

  void it('refuses malformed filters with a reason', () => {
    assert.match(validateTagsFilter({ key: 'k', cmp: 'like', val: 'x' }) ?? '', /unknown comparison/);
    assert.match(validateTagsFilter({ op: 'xor', nodes: [{ key: 'k', cmp: 'ex' }] }) ?? '', /unknown operator/);
    assert.match(
      validateTagsFilter({
        op: 'not',
        nodes: [
          { key: 'a', cmp: 'ex' },
          { key: 'b', cmp: 'ex' },
        ],
      }) ?? '',
      /exactly one/,
    );
    assert.match(validateTagsFilter({ cmp: 'eq', val: 'x' }) ?? '', /needs a key/);
    const wide = { op: 'or', nodes: Array.from({ length: 70 }, () => ({ key: 'k', cmp: 'ex' })) };
    assert.match(validateTagsFilter(wide) ?? '', /more than 64 nodes/);
  });
});
