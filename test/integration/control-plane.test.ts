// The control plane (control bus + node registry + ControlPlane): one contract run against the memory and Redis twins, then Redis faults.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import {
  ControlPlane,
  MemoryControlBus,
  MemoryControlNetwork,
  MemoryNodeRegistry,
  RedisControlBus,
  RedisNodeRegistry,
  type ControlBus,
  type ControlCommand,
  type NodeInfo,
  type NodeRegistry,
} from '../../src/engine/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { RecordingLocalNode, until } from '../helpers/http-api.js';
import { RedisKeys } from '../../src/redis/index.js';

interface ControlFactory {
  /** A bus that reaches every other bus of this factory. */
  newBus(): ControlBus;
  /** A registry view that shares state with every other registry of this factory. */
  newRegistry(): NodeRegistry;
  cleanup(): Promise<void>;
}

let seq = 0;
const unique = (label: string): string => `${label}-${process.pid}-${++seq}`;

function nodeInfo(nodeId: string, numClients = 1): NodeInfo {
  return { nodeId, name: `${nodeId}-name`, version: '1.2.3', numClients, numUsers: 1, numSubs: 2, uptime: 7 };
}

function controlContract(name: string, makeFactory: () => ControlFactory): void {
  void describe(`control plane contract: ${name}`, () => {
    let f: ControlFactory;
    before(() => {
      f = makeFactory();
    });
    after(async () => {
      await f.cleanup();
    });

    void it('delivers a command to every started bus, the sender included', async () => {
      const [b1, b2, sender] = [f.newBus(), f.newBus(), f.newBus()];
      const got: ControlCommand[][] = [[], [], []];
      await b1.start((c) => got[0]!.push(c));
      await b2.start((c) => got[1]!.push(c));
      await sender.start((c) => got[2]!.push(c));
      try {
        const user = unique('user');
        await sender.send({ type: 'disconnect', user, code: 4000, reason: 'r', client: 'c1' });
        await sender.send({ type: 'unsubscribe', user, channel: 'chat:x' });
        for (const list of got) {
          await until(() => list.filter((c) => 'user' in c && c.user === user).length === 2, 'both commands');
          assert.deepEqual(
            list.filter((c) => 'user' in c && c.user === user),
            [
              { type: 'disconnect', user, code: 4000, reason: 'r', client: 'c1' },
              { type: 'unsubscribe', user, channel: 'chat:x' },
            ],
          );
        }
      } finally {
        await Promise.all([b1.close(), b2.close(), sender.close()]);
      }
    });

    void it('stops delivering to a closed bus, and survives a throwing handler', async () => {
      const [closing, throwing, sender] = [f.newBus(), f.newBus(), f.newBus()];
      const closed: ControlCommand[] = [];
      let thrown = 0;
      await closing.start((c) => closed.push(c));
      await throwing.start(() => {
        thrown++;
        throw new Error('handler failure');
      });
      await closing.close();
      try {
        await sender.send({ type: 'unsubscribe', user: unique('u'), channel: 'chat:y' });
        await sender.send({ type: 'unsubscribe', user: unique('u'), channel: 'chat:y' });
        await until(() => thrown === 2, 'throwing handler called twice');
        assert.deepEqual(closed, []);
      } finally {
        await Promise.all([throwing.close(), sender.close()]);
      }
    });

    void it('lists heartbeating nodes, refreshes them and removes them', async () => {
      const [r1, r2] = [f.newRegistry(), f.newRegistry()];
      const [a, b] = [unique('node-a'), unique('node-b')];
      await r1.heartbeat(nodeInfo(a), 30_000);
      await r2.heartbeat(nodeInfo(b), 30_000);
      const mine = async (): Promise<NodeInfo[]> => (await r1.list()).filter((n) => n.nodeId === a || n.nodeId === b);
      assert.deepEqual(
        await mine(),
        [nodeInfo(a), nodeInfo(b)].sort((x, y) => (x.nodeId < y.nodeId ? -1 : 1)),
      );
      await r1.heartbeat(nodeInfo(a, 42), 30_000);
      assert.equal((await mine()).find((n) => n.nodeId === a)?.numClients, 42);
      await r2.remove(a);
      assert.deepEqual(
        (await mine()).map((n) => n.nodeId),
        [b],
      );
      await r2.remove(b);
    });

    void it('drops a node once its heartbeat expires', async () => {
      const r = f.newRegistry();
      const [gone, kept] = [unique('gone'), unique('kept')];
      await r.heartbeat(nodeInfo(kept), 60_000);
      await r.heartbeat(nodeInfo(gone), 150);
      await until(async () => !(await r.list()).some((n) => n.nodeId === gone), 'expiry');
      assert.ok((await r.list()).some((n) => n.nodeId === kept));
      await r.remove(kept);
      await assert.rejects(r.heartbeat(nodeInfo(kept), 0), RangeError);
    });

    void it('ties bus, registry and local sessions together in ControlPlane', async () => {
      const nodes = [new RecordingLocalNode({ numClients: 2, numUsers: 2, numSubs: 3 }), new RecordingLocalNode()];
      const ids = [unique('plane-a'), unique('plane-b')];
      const planes = nodes.map(
        (local, i) =>
          new ControlPlane({
            nodeId: ids[i]!,
            version: '9.9.9',
            bus: f.newBus(),
            registry: f.newRegistry(),
            local,
            heartbeatIntervalMs: 100,
          }),
      );
      for (const plane of planes) await plane.start();
      const sender = f.newBus();
      const registry = f.newRegistry();
      try {
        const listed = (await registry.list()).filter((n) => ids.includes(n.nodeId));
        assert.deepEqual(
          listed.map((n) => [n.nodeId, n.numClients, n.numSubs, n.version]),
          [
            [ids[0], 2, 3, '9.9.9'],
            [ids[1], 0, 0, '9.9.9'],
          ],
        );
        const user = unique('victim');
        await sender.send({ type: 'disconnect', user, code: 3503, reason: 'force disconnect' });
        for (const node of nodes) {
          await until(() => node.calls.some((c) => c.user === user), 'disconnect on every node');
          assert.deepEqual(
            node.calls.filter((c) => c.user === user),
            [{ op: 'disconnect', user, code: 3503, reason: 'force disconnect' }],
          );
        }
        await planes[1]!.close();
        assert.deepEqual(
          (await registry.list()).filter((n) => ids.includes(n.nodeId)).map((n) => n.nodeId),
          [ids[0]],
        );
        const after = unique('after-close');
        await sender.send({ type: 'unsubscribe', user: after, channel: 'chat:z' });
        await until(() => nodes[0]!.calls.some((c) => c.user === after), 'delivery to the open plane');
        await sleep(50);
        assert.ok(!nodes[1]!.calls.some((c) => c.user === after), 'a closed plane receives nothing');
      } finally {
        for (const plane of planes) await plane.close();
        await sender.close();
      }
    });
  });
}

controlContract('memory', () => {
  const network = new MemoryControlNetwork();
  const registry = new MemoryNodeRegistry();
  return {
    newBus: () => new MemoryControlBus({ network }),
    newRegistry: () => registry,
    cleanup: async () => {},
  };
});

let server: RedisServer;
const prefix = `test-control-${process.pid}-${Date.now()}`;
const connections: Redis[] = [];

function connect(): Redis {
  const redis = new Redis(server.url);
  redis.on('error', () => {
    /* reconnects on its own; the fault tests expect errors */
  });
  connections.push(redis);
  return redis;
}

void describe('redis control plane', () => {
  before(async () => {
    server = await RedisServer.start();
  });
  after(async () => {
    for (const c of connections) c.disconnect();
    await server.close();
  });

  controlContract('redis', () => ({
    newBus: () => new RedisControlBus({ redis: connect(), prefix }),
    newRegistry: () => new RedisNodeRegistry({ redis: connect(), prefix }),
    cleanup: async () => {},
  }));

  void it('ignores malformed and unknown commands on the control channel', async () => {
    const bus = new RedisControlBus({ redis: connect(), prefix });
    const got: ControlCommand[] = [];
    await bus.start((c) => got.push(c));
    try {
      const raw = connect();
      const channel = new RedisKeys(prefix).controlChannel();
      await raw.publish(channel, 'not json');
      await raw.publish(channel, JSON.stringify({ type: 'reboot', user: 'u' }));
      await raw.publish(channel, JSON.stringify({ type: 'disconnect', user: 'u', code: 'x', reason: '' }));
      await bus.send({ type: 'unsubscribe', user: 'last', channel: 'chat:a' });
      await until(() => got.length > 0, 'the valid command');
      assert.deepEqual(got, [{ type: 'unsubscribe', user: 'last', channel: 'chat:a' }]);
    } finally {
      await bus.close();
    }
  });

  void it('drops a gateway whose Redis connection died, keeps the live one', async () => {
    const deadConn = connect();
    const [liveNode, deadNode] = [new RecordingLocalNode(), new RecordingLocalNode()];
    const [liveId, deadId] = [unique('live'), unique('dead')];
    const live = new ControlPlane({
      nodeId: liveId,
      version: '1',
      bus: new RedisControlBus({ redis: connect(), prefix }),
      registry: new RedisNodeRegistry({ redis: connect(), prefix }),
      local: liveNode,
      heartbeatIntervalMs: 100,
    });
    const dead = new ControlPlane({
      nodeId: deadId,
      version: '1',
      bus: new RedisControlBus({ redis: deadConn, prefix }),
      registry: new RedisNodeRegistry({ redis: deadConn, prefix }),
      local: deadNode,
      heartbeatIntervalMs: 100,
    });
    await live.start();
    await dead.start();
    const registry = new RedisNodeRegistry({ redis: connect(), prefix });
    try {
      const ids = async (): Promise<string[]> =>
        (await registry.list()).map((n) => n.nodeId).filter((id) => id === liveId || id === deadId);
      assert.deepEqual(await ids(), [deadId, liveId].sort());
      // Like a crashed process: no clean removal, heartbeats stop.
      deadConn.disconnect();
      await until(async () => !(await ids()).includes(deadId), 'the dead gateway to expire');
      await sleep(300);
      assert.deepEqual(await ids(), [liveId], 'the live gateway keeps heartbeating');
    } finally {
      await live.close();
      await dead.close().catch(() => {});
    }
  });

  void it('recovers after a redis-server kill and restart: nodes reappear, commands reach every node', async () => {
    const nodes = [new RecordingLocalNode(), new RecordingLocalNode()];
    const ids = [unique('restart-a'), unique('restart-b')];
    const planes = nodes.map(
      (local, i) =>
        new ControlPlane({
          nodeId: ids[i]!,
          version: '1',
          bus: new RedisControlBus({ redis: connect(), prefix }),
          registry: new RedisNodeRegistry({ redis: connect(), prefix }),
          local,
          heartbeatIntervalMs: 100,
        }),
    );
    for (const plane of planes) await plane.start();
    const sender = new RedisControlBus({ redis: connect(), prefix });
    const registry = new RedisNodeRegistry({ redis: connect(), prefix });
    try {
      await server.kill();
      await sleep(300);
      await server.restart();
      // The restarted server is empty: the nodes are back only once they heartbeat again.
      await until(
        async () => {
          try {
            const listed = (await registry.list()).map((n) => n.nodeId);
            return ids.every((id) => listed.includes(id));
          } catch {
            return false;
          }
        },
        'both nodes listed again',
        20_000,
      );
      // Delivery is at most once: repeat until the resubscribed nodes both receive one.
      let attempt = 0;
      await until(
        async () => {
          attempt += 1;
          await sender.send({ type: 'disconnect', user: `after-restart-${attempt}`, code: 3001, reason: 'shutdown' }).catch(() => {});
          return nodes.every((n) => n.calls.some((c) => c.user.startsWith('after-restart-')));
        },
        'a command to reach both nodes after the restart',
        20_000,
      );
    } finally {
      for (const plane of planes) await plane.close();
      await sender.close();
    }
  });
});
