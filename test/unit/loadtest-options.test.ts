import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoadTestOptionsError, parseLoadTestOptions } from '../../src/loadtest/index.js';

void describe('parseLoadTestOptions', () => {
  void it('defaults to the seed scenario pacing: 1200 messages over 60 s', () => {
    const o = parseLoadTestOptions({}, 'r1');
    assert.equal(o.numClients, 100);
    assert.equal(o.messagesPerClient, 1200);
    assert.equal(o.ratePerClient, 20);
    assert.equal(o.durationMs, 60_000);
    assert.equal(o.protocol, 'json');
    assert.equal(o.url, 'ws://localhost:8000/connection/websocket');
    assert.equal(o.tokenSecret, null);
    assert.equal(o.workers, 1);
    assert.ok(Object.isFrozen(o));
  });

  void it('derives the missing one of messages, rate and duration', () => {
    const rateAndCount = parseLoadTestOptions({ RATE: '10', MESSAGES_PER_CLIENT: '50' }, 'r');
    assert.equal(rateAndCount.durationMs, 5000);
    const rateAndDuration = parseLoadTestOptions({ RATE: '10', DURATION: '30' }, 'r');
    assert.equal(rateAndDuration.messagesPerClient, 300);
    const countAndDuration = parseLoadTestOptions({ MESSAGES_PER_CLIENT: '600', DURATION: '2m' }, 'r');
    assert.equal(countAndDuration.ratePerClient, 5);
    const closedLoop = parseLoadTestOptions({ RATE: '0', DURATION: '15s' }, 'r');
    assert.equal(closedLoop.ratePerClient, 0);
    assert.equal(closedLoop.durationMs, 15_000);
  });

  void it('reports every problem at once', () => {
    assert.throws(
      () =>
        parseLoadTestOptions(
          { NUM_CLIENTS: 'many', PROTOCOL: 'xml', GATEWAY_URL: 'http://x', RATE: '1', DURATION: '1', MESSAGES_PER_CLIENT: '1' },
          'r',
        ),
      (err: unknown) => {
        assert.ok(err instanceof LoadTestOptionsError);
        assert.equal(err.problems.length, 4);
        return true;
      },
    );
  });
});
