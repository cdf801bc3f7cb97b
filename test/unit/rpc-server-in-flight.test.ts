// requestsInFlight counts the requests being worked on, not the long polls a client
// parks on: the idle collector (idle-gc.ts) waits for the first, and a `replibuild
// watch` parked on discovery must not keep its collections off for good.
import { afterEach, describe, expect, it } from 'vitest';
import { RpcServer, method } from '../../rpc/server.js';
import { RpcConnection } from '../../rpc/client.js';
import { obj } from '../../rpc/methods.js';

const TOKEN = 'c'.repeat(64);
const servers: RpcServer[] = [];
const conns: RpcConnection[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

describe('RpcServer.requestsInFlight', () => {
  it('counts work until it is answered, and never a parked method', async () => {
    const release: Record<string, () => void> = {};
    const held = (name: string) => method(obj({}), () => new Promise<object>((r) => (release[name] = () => r({}))));
    const server = new RpcServer({ token: TOKEN, identity: { daemon: 'test' }, methods: { work: held('work'), park: held('park') }, parkedMethods: new Set(['park']) });
    servers.push(server);
    const { conn } = await RpcConnection.openPipelined(await server.listen(0), TOKEN);
    conns.push(conn);
    const parked = conn.call('park', {});
    await expect.poll(() => release.park).toBeDefined();
    expect(server.requestsInFlight).toBe(0);
    const working = conn.call('work', {});
    await expect.poll(() => release.work).toBeDefined();
    expect(server.requestsInFlight).toBe(1);
    release.work!();
    await working;
    expect(server.requestsInFlight).toBe(0);
    release.park!();
    await parked;
    expect(server.requestsInFlight).toBe(0);
  });
});
