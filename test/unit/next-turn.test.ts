// Work deferred past an answer (cache stores, a build's after-work) must not run before
// the RPC server has written that answer, which it does from a setImmediate of its own.
import { afterEach, describe, expect, it } from 'vitest';
import { nextTurn } from '../../cache/next-turn.js';
import { RpcServer, method } from '../../rpc/server.js';
import { RpcConnection } from '../../rpc/client.js';
import { obj, str } from '../../rpc/methods.js';

const TOKEN = 'b'.repeat(64);
const servers: RpcServer[] = [];
const conns: RpcConnection[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

describe('nextTurn', () => {
  it('runs after a setImmediate made later in the same turn', async () => {
    const order: string[] = [];
    const deferred = nextTurn().then(() => order.push('deferred'));
    setImmediate(() => order.push('write'));
    await deferred;
    expect(order).toEqual(['write', 'deferred']);
  });

  it('lets an RPC answer reach the caller before work deferred while answering', async () => {
    let answered = false;
    let answeredBeforeWork: boolean | null = null;
    const server = new RpcServer({
      token: TOKEN,
      identity: { daemon: 'test' },
      methods: {
        echo: method(obj({ s: str }), (p) => {
          // As a compile answers and leaves its store for later.
          void nextTurn().then(() => {
            answeredBeforeWork = answered;
          });
          return { length: p.s.length };
        }),
      },
    });
    servers.push(server);
    const port = await server.listen(0);
    const { conn } = await RpcConnection.open(port, TOKEN);
    conns.push(conn);
    const r = await conn.call<{ length: number }>('echo', { s: 'abc' });
    answered = true;
    expect(r.length).toBe(3);
    await new Promise((res) => setTimeout(res, 20));
    expect(answeredBeforeWork).toBe(true);
  });
});
