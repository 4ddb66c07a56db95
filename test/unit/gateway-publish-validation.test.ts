// Publication payload validation: JSON object with a `text` of 1..max Unicode characters.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codePointLength, validatePublishData } from '../../src/gateway/index.js';
import { ReplyError } from '../../src/protocol/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function refusal(data: Uint8Array | undefined, max = 10): string {
  try {
    validatePublishData(data, max);
  } catch (err) {
    assert.ok(err instanceof ReplyError);
    assert.equal(err.code, 107);
    return err.message;
  }
  throw new Error('expected 107');
}

void describe('validatePublishData', () => {
  void it('counts code points, not UTF-16 units or bytes', () => {
    assert.equal(codePointLength('abc'), 3);
    assert.equal(codePointLength('汉字'), 2);
    assert.equal(codePointLength('😀😀'), 2);
    assert.equal(codePointLength('\ud800x'), 2, 'a lone surrogate counts once');
    assert.equal(codePointLength(''), 0);
  });

  void it('accepts text up to the limit in any script and returns the JSON text', () => {
    assert.equal(validatePublishData(enc('{"text":"汉字汉字汉字汉字汉字"}'), 10), '{"text":"汉字汉字汉字汉字汉字"}');
    assert.equal(validatePublishData(enc(JSON.stringify({ text: '😀'.repeat(10), extra: 1 })), 10), JSON.stringify({ text: '😀'.repeat(10), extra: 1 }));
  });

  void it('re-serialises JSON that contains raw newlines so it cannot split a JSON frame', () => {
    assert.equal(validatePublishData(enc('{\n"text":\r\n"a"}'), 10), '{"text":"a"}');
  });

  void it('says what is wrong', () => {
    assert.match(refusal(undefined), /required/);
    assert.match(refusal(enc('')), /required/);
    assert.match(refusal(Uint8Array.from([0xff, 0xfe])), /UTF-8/);
    assert.match(refusal(enc('{"text":')), /valid JSON/);
    assert.match(refusal(enc('[1]')), /JSON object/);
    assert.match(refusal(enc('null')), /JSON object/);
    assert.match(refusal(enc('"text"')), /JSON object/);
    assert.match(refusal(enc('{"text":1}')), /must be a string/);
    assert.match(refusal(enc('{}')), /must be a string/);
    assert.match(refusal(enc('{"text":""}')), /must not be empty/);
    assert.match(refusal(enc(JSON.stringify({ text: '汉'.repeat(11) }))), /too long: 11 characters, max 10/);
  });
});
