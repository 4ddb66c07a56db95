// The worker examples as a user runs them: the real gateway with examples/workers.config.json on a
// real redis-server, the chat worker (examples/worker-simple.ts), the moderation worker (pool
// "moderation", handled mode) and the `!roll` bot (pool "bots") started with `realtime-message worker`,
// driven by the real centrifuge client: a refused message fails the sender's publish with 1403, the
// bot answers in its namespace only, and typing indicators ({"typing": true}) pass as JSON.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext, Subscription } from 'centrifuge';
import { newClient, nextEvent, spawnGateway, spawnTs, spawnProcess, type GatewayProcess, type TsProcess } from '../helpers/gateway.js';
import { useRedisServer } from '../helpers/redis-server.js';
import { roll } from '../../examples/roll-bot.js';

const fixture = useRedisServer();
const repo = new URL('../../', import.meta.url).pathname;

void describe('worker examples', () => {
  let gw: GatewayProcess;
  const workers: TsProcess[] = [];
  let client: Centrifuge;

  before(async () => {
    const common = {
      REDIS_URL: fixture.server.url,
      REDIS_PREFIX: 'ex',
      CONFIG_FILE: 'examples/workers.config.json',
      LOG_LEVEL: 'info',
      WORKER_METRICS_PORT: 'off',
    };
    gw = await spawnGateway(common);
    workers.push(spawnTs('examples/worker-simple.ts', { ...common, WORKER_ID: 'chat-1' }));
    workers.push(
      spawnProcess(
        process.execPath,
        ['--import', 'tsx', 'bin/realtime-message.ts', 'worker', 'examples/moderation-worker.ts'],
        { ...common, WORKER_ID: 'mod-1', WORKER_POOL: 'moderation' },
        repo,
      ),
    );
    workers.push(
      spawnProcess(
        process.execPath,
        ['--import', 'tsx', 'bin/realtime-message.ts', 'worker', 'examples/roll-bot.ts'],
        { ...common, WORKER_ID: 'bot-1', WORKER_POOL: 'bots' },
        repo,
      ),
    );
    await Promise.all(workers.map((w) => w.waitForLine(/consuming/, 30_000)));
    client = newClient(gw.wsUrl, 'json');
    client.connect();
    await client.ready(5000);
  });

  after(async () => {
    client.disconnect();
    for (const w of workers) await w.stop('SIGKILL');
    await gw.stop('SIGKILL');
  });

  const subscribed = async (channel: string): Promise<Subscription> => {
    const sub = client.newSubscription(channel);
    sub.subscribe();
    await sub.ready(5000);
    return sub;
  };

  void it('the moderation worker refuses profanity with 1403 and publishes clean messages', async () => {
    const sub = await subscribed('mod:lobby');
    const published = nextEvent<PublicationContext>(sub, 'publication', 10_000);
    await assert.rejects(
      client.publish('mod:lobby', { text: 'what the heck' }),
      (e: { code: number; message: string }) => e.code === 1403 && e.message === 'message refused: mind your language',
    );
    await client.publish('mod:lobby', { text: 'good morning' });
    assert.deepEqual((await published).data, { text: 'good morning' }, 'the refused message was never published');
  });

  void it('the !roll bot answers in its own namespace', async () => {
    const sub = await subscribed('game:table');
    const seen: unknown[] = [];
    sub.on('publication', (ctx) => seen.push(ctx.data));
    await client.publish('game:table', { text: '!roll 3d6' });
    const deadline = Date.now() + 10_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen[0], { text: '!roll 3d6' });
    assert.match((seen[1] as { text: string }).text, /^@anonymous rolled 3d6: \d \+ \d \+ \d = \d+$/);
    assert.equal(roll('hello'), null);
    assert.match(roll('!roll 1d20') ?? '', /^rolled 1d20: (\d+) = \1$/);
  });

  void it('typing indicators pass as JSON in the "json" namespace; chat keeps the text rule', async () => {
    const sub = await subscribed('typing:lobby');
    const typing = nextEvent<PublicationContext>(sub, 'publication', 10_000);
    await sub.publish({ typing: true });
    assert.deepEqual((await typing).data, { typing: true });
    await assert.rejects(client.publish('chat', { typing: true }), (e: { code: number }) => e.code === 107);
  });
});
