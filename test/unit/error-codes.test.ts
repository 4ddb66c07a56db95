import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ErrorCodes, RealtimeError } from '../../src/errors/index.js';
import { ConfigError } from '../../src/config/index.js';
import { NoWorkersError } from '../../src/routing/index.js';
import { MemoryStreamQueue } from '../../src/queue/index.js';
import { validateWorkerId } from '../../src/redis/index.js';

void describe('error catalogue', () => {
  void it("docs/errors.md lists exactly the catalogue's codes, and codes are unique ERR_* strings", () => {
    const codes = Object.values(ErrorCodes);
    assert.equal(new Set(codes).size, codes.length);
    for (const code of codes) assert.match(code, /^ERR_[A-Z0-9_]+$/);
    const documented = [...readFileSync('docs/errors.md', 'utf8').matchAll(/^\| `(ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual([...documented].sort(), [...codes].sort());
  });

  void it('errors of several layers share the base class and carry their code', async () => {
    const seen: unknown[] = [new ConfigError(['x']), new NoWorkersError()];
    try {
      validateWorkerId('a b');
    } catch (err) {
      seen.push(err);
    }
    await new MemoryStreamQueue().readNew('w', 'c', 1, 0).catch((err: unknown) => seen.push(err));
    assert.deepEqual(
      seen.map((e) => (e instanceof RealtimeError ? e.code : 'not coded')),
      [ErrorCodes.CONFIG_INVALID, ErrorCodes.ROUTING_NO_WORKERS, ErrorCodes.REDIS_INVALID_KEY_PART, ErrorCodes.QUEUE_NO_GROUP],
    );
    assert.equal(new NoWorkersError().name, 'NoWorkersError');
  });
});
