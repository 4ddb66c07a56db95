import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogThrottle } from '../../src/log/index.js';

void describe('LogThrottle', () => {
  void it('lets one line per interval pass and counts the ones it held back', () => {
    const t = new LogThrottle(1000);
    assert.equal(t.pass(0), 0);
    assert.equal(t.pass(10), null);
    assert.equal(t.pass(999), null);
    assert.equal(t.pass(1000), 2);
    assert.equal(t.pass(1500), null);
    assert.equal(t.pass(5000), 1);
  });
});
