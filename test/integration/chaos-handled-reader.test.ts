// The chaos run's reader of handling records: every record read exactly once, even when a read
// is asked for while another is under way (the settle loop and the interval overlap).
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { useRedisServer } from '../helpers/redis-server.js';
import { HandledLog, HandledReader } from '../../src/chaos/index.js';

const fixture = useRedisServer();

void it('reads every handling record once when reads overlap', async () => {
  const key = 'chaos:handled:overlap';
  const records = Array.from({ length: 12_000 }, (_, i) => `${Date.now()}|w0|w0|chaos:c0|${JSON.stringify({ p: 'p0', s: i })}`);
  for (let i = 0; i < records.length; i += 1000) await fixture.redis.rpush(key, ...records.slice(i, i + 1000));
  const log = new HandledLog();
  const reader = new HandledReader(fixture.server.url, key, log);
  await new Promise((r) => setTimeout(r, 100));
  const counts = await Promise.all([reader.readOnce(), reader.readOnce(), reader.readOnce()]);
  await reader.close();
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    records.length,
  );
  assert.equal(log.records, records.length);
  assert.equal(log.duplicates, 0);
  assert.equal(log.distinct, records.length);
});
