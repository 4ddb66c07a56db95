// The one Lua loader: every script in src/redis/lua/ is declared with its key count, includes resolve, and a wrong key count is refused before Redis sees it.
import { RealtimeError } from '../../src/errors/index.js';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { LuaScript, redisErrorCodes, scriptKeyCounts, type ScriptName } from '../../src/redis/index.js';

const dir = new URL('../../src/redis/lua/', import.meta.url);

void describe('LuaScript', () => {
  void it('knows every script file in src/redis/lua/ and no other', () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.lua'))
      .map((f) => f.slice(0, -'.lua'.length))
      .sort();
    assert.deepEqual(files, Object.keys(scriptKeyCounts).sort());
  });

  void it('replaces each -- #include line with the library file', () => {
    for (const name of Object.keys(scriptKeyCounts) as ScriptName[]) {
      const script = LuaScript.load(name);
      assert.doesNotMatch(script.source, /^-- #include /m, `${name}: include resolved`);
      assert.equal(script.sha.length, 40);
    }
    assert.match(LuaScript.load('presence-get').source, /local function/);
  });

  void it('refuses a call with the wrong number of keys before sending anything', async () => {
    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false });
    try {
      await assert.rejects(LuaScript.load('publish').runBuffer(redis, ['only-one'], []), (err: unknown) => {
        assert.ok(err instanceof RealtimeError);
        assert.equal((err as { code?: unknown }).code, redisErrorCodes.SCRIPT_KEY_COUNT);
        return true;
      });
      await assert.rejects(LuaScript.load('claim-stream').run(redis, [], ['holder', 1000]), /takes 1 keys, got 0/);
    } finally {
      redis.disconnect();
    }
  });
});
