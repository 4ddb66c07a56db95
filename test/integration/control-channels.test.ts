// The server API's `channels` survey through the control plane, memory and Redis twins: every
// node answers with its own counts and the requester sums them; a node that does not answer in
// time is left out instead of blocking the call.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  ControlPlane,
  MemoryControlBus,
  MemoryControlNetwork,
  MemoryNodeRegistry,
  RedisControlBus,
  RedisNodeRegistry,
  type ControlBus,
  type NodeRegistry,
} from '../../src/engine/index.js';
import { RecordingLocalNode } from '../helpers/http-api.js';
import { useRedisServer } from '../helpers/redis-server.js';

const fixture = useRedisServer();

interface Twin {
  bus: () => ControlBus;
  registry: () => NodeRegistry;
}

function survey(name: string, twin: () => Twin): void {
  void it(`sums every node's channel counts (${name})`, async () => {
    const t = twin();
    const registry = t.registry();
    const nodes = [new RecordingLocalNode(), new RecordingLocalNode()];
    nodes[0]!.channelMap.set('chat:a', 2).set('chat:b', 1);
    nodes[1]!.channelMap.set('chat:a', 3).set('user:9', 1);
    const planes = nodes.map(
      (local, i) => new ControlPlane({ nodeId: `n${i}-${randomUUID()}`, version: '0', bus: t.bus(), registry, local }),
    );
    for (const p of planes) await p.start();
    try {
      const counts = await planes[0]!.channels(5000);
      assert.deepEqual(Object.fromEntries([...counts].sort()), { 'chat:a': 5, 'chat:b': 1, 'user:9': 1 });
      const fromOther = await planes[1]!.channels(5000);
      assert.equal(fromOther.get('chat:a'), 5);
    } finally {
      for (const p of planes) await p.close();
    }
  });
}

void describe('channels survey', () => {
  const network = new MemoryControlNetwork();
  const memoryRegistry = new MemoryNodeRegistry();
  survey('memory', () => ({ bus: () => new MemoryControlBus({ network }), registry: () => memoryRegistry }));
  const prefix = `survey-${randomUUID()}`;
  survey('redis', () => ({
    bus: () => new RedisControlBus({ redis: fixture.redis, prefix }),
    registry: () => new RedisNodeRegistry({ redis: fixture.redis, prefix }),
  }));

  void it('a node listed but silent is left out after the timeout', async () => {
    const registry = new MemoryNodeRegistry();
    await registry.heartbeat({ nodeId: 'ghost', name: 'ghost', version: '0', numClients: 0, numUsers: 0, numSubs: 0, uptime: 0 }, 60_000);
    const local = new RecordingLocalNode();
    local.channelMap.set('chat:x', 1);
    const plane = new ControlPlane({
      nodeId: 'alive',
      version: '0',
      bus: new MemoryControlBus({ network: new MemoryControlNetwork() }),
      registry,
      local,
    });
    await plane.start();
    try {
      assert.deepEqual([...(await plane.channels(200))], [['chat:x', 1]]);
    } finally {
      await plane.close();
    }
  });
});
