import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOriginCheck, describeOriginPolicy } from '../../src/gateway/index.js';

void describe('createOriginCheck', () => {
  void it('without a list: no Origin passes, a same-host Origin passes, any other Origin is refused', () => {
    const check = createOriginCheck({ allowedOrigins: null });
    assert.equal(check(undefined, 'rt.example.com'), true);
    assert.equal(check('https://rt.example.com', 'rt.example.com'), true);
    assert.equal(check('http://RT.example.com:8000', 'rt.example.com:8000'), true);
    assert.equal(check('https://evil.example', 'rt.example.com'), false);
    assert.equal(check('https://rt.example.com', 'rt.example.com:8000'), false);
    assert.equal(check('null', 'rt.example.com'), false);
    assert.equal(check('https://rt.example.com', undefined), false);
  });

  void it('exact entries match whole origins, case-insensitively', () => {
    const check = createOriginCheck({ allowedOrigins: ['https://app.example.com', 'http://localhost:5173'] });
    assert.equal(check('https://app.example.com', 'x'), true);
    assert.equal(check('HTTPS://APP.EXAMPLE.COM', 'x'), true);
    assert.equal(check('http://localhost:5173', 'x'), true);
    assert.equal(check('https://app.example.com.evil.io', 'x'), false);
    assert.equal(check('http://app.example.com', 'x'), false);
    assert.equal(check(undefined, 'x'), true);
  });

  void it('wildcards stand for any run of characters; "*" alone allows everything', () => {
    const check = createOriginCheck({ allowedOrigins: ['https://*.example.com'] });
    assert.equal(check('https://a.example.com', 'x'), true);
    assert.equal(check('https://a.b.example.com', 'x'), true);
    assert.equal(check('https://example.com', 'x'), false);
    assert.equal(check('https://a.example.com.evil.io', 'x'), false);
    assert.equal(check('https://evil.io/?.example.com', 'x'), false);
    assert.equal(createOriginCheck({ allowedOrigins: ['*'] })('https://anything.io', 'x'), true);
  });

  void it('describes the policy for the start-up log', () => {
    assert.match(describeOriginPolicy({ allowedOrigins: null }), /not set/);
    assert.match(describeOriginPolicy({ allowedOrigins: ['*'] }), /any origin/);
    assert.match(describeOriginPolicy({ allowedOrigins: ['https://a', 'https://b'] }), /2 origin pattern/);
  });
});
