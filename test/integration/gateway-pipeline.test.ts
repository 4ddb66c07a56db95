// The gateway's seam to the message pipeline, with the real client (JSON and protobuf builds):
// what publish/send/rpc hand to the pipeline, rpc answers, and pipeline failures as error 100.
// Also join/leave pushes to subscribers that ask for them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, JoinContext, LeaveContext } from 'centrifuge';
import { signToken } from '../../src/gateway/index.js';
import type { MessagePipeline, StreamMessage } from '../../src/queue/index.js';
import {
  CLIENT_PROTOCOLS,
  fromPayload,
  newClient,
  nextEvent,
  payload,
  startTestGateway,
  waitUntil,
  type TestGateway,
} from '../helpers/gateway.js';

type Submitted = Omit<StreamMessage, 'id' | 'node' | 'ts'>;
const SECRET = 'pipeline-test-secret';

class RecordingPipeline implements MessagePipeline {
  readonly submitted: Submitted[] = [];
  failNext = false;
  async submit(message: Submitted): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('queue unavailable');
    }
    this.submitted.push(message);
  }
  async rpc(message: Submitted): Promise<string> {
    if (message.method === 'fail') throw new Error('rpc timed out');
    return JSON.stringify({ method: message.method, echo: JSON.parse(message.data) as unknown });
  }
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

for (const protocol of CLIENT_PROTOCOLS) {
  void describe(`gateway pipeline seam with the ${protocol} client`, () => {
    let gw: TestGateway;
    const pipeline = new RecordingPipeline();
    const clients: Centrifuge[] = [];
    const connected = async (user: string): Promise<Centrifuge> => {
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const c = newClient(gw.wsUrl, protocol, { token: signToken({ sub: user, exp, info: { name: `n${user}` } }, SECRET) });
      clients.push(c);
      c.connect();
      await c.ready(4000);
      return c;
    };

    before(async () => {
      gw = await startTestGateway({ CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET }, { pipeline });
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await gw.close();
    });

    void it('submits a valid publish with user, client and connection info', async () => {
      const c = await connected('42');
      await c.publish('chat:p', payload(protocol, { text: 'hi' }));
      const m = pipeline.submitted.at(-1);
      assert.equal(m?.kind, 'publish');
      assert.equal(m?.channel, 'chat:p');
      assert.deepEqual(JSON.parse(m?.data ?? ''), { text: 'hi' });
      assert.equal(m?.user, '42');
      assert.match(m?.client ?? '', /^[0-9a-f-]{36}$/);
      assert.deepEqual(JSON.parse(m?.connInfo ?? ''), { name: 'n42' });
    });

    void it('answers a pipeline failure with temporary error 100 and submits nothing for an invalid publish', async () => {
      const c = await connected('43');
      const before = pipeline.submitted.length;
      pipeline.failNext = true;
      await assert.rejects(
        c.publish('chat:p', payload(protocol, { text: 'x' })),
        (e: { code: number; temporary: boolean }) => e.code === 100 && e.temporary,
      );
      await assert.rejects(c.publish('chat:p', payload(protocol, { text: '' })), (e: { code: number }) => e.code === 107);
      assert.equal(pipeline.submitted.length, before);
    });

    void it('routes send to the user key without a reply and answers rpc with the worker data', async () => {
      const c = await connected('44');
      await c.send(payload(protocol, { ping: 1 }));
      await waitUntil(() => pipeline.submitted.some((m) => m.kind === 'send' && m.user === '44'), 4000, 'send submitted');
      assert.equal(pipeline.submitted.find((m) => m.kind === 'send' && m.user === '44')?.channel, 'user:44');
      const res = await c.rpc('sum', payload(protocol, { a: 1 }));
      assert.deepEqual(fromPayload(res.data), { method: 'sum', echo: { a: 1 } });
      await assert.rejects(c.rpc('fail', payload(protocol, {})), (e: { code: number }) => e.code === 100);
    });

    void it('pushes join and leave to subscribers that ask for them', async () => {
      const a = await connected('50');
      const b = await connected('51');
      const subA = a.newSubscription('chat:jl', { joinLeave: true });
      const joins: string[] = [];
      subA.on('join', (j: JoinContext) => joins.push(j.info.user));
      subA.subscribe();
      await subA.ready(4000);
      const subB = b.newSubscription('chat:jl');
      subB.subscribe();
      await subB.ready(4000);
      await waitUntil(() => joins.includes('51'), 4000, 'join of user 51');
      const leave = nextEvent<LeaveContext>(subA, 'leave');
      subB.unsubscribe();
      assert.equal((await leave).info.user, '51');
      const subC = b.newSubscription('chat:jl2');
      const joinsC: string[] = [];
      subC.on('join', (j: JoinContext) => joinsC.push(j.info.user));
      subC.subscribe();
      await subC.ready(4000);
      const other = a.newSubscription('chat:jl2');
      other.subscribe();
      await other.ready(4000);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(joinsC, [], 'no join pushes without joinLeave');
      const presence = await subA.presence();
      assert.deepEqual(
        Object.values(presence.clients).map((ci) => ci.user),
        ['50'],
      );
    });
  });
}
