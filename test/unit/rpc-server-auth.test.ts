// The RPC server's defences before authentication: a deadline, a small first
// line, and a bounded waiting room that evicts its oldest rather than refusing
// newcomers, so unauthenticated peers can never lock the token holder out.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcServer, method, type RpcServerOptions } from '../../rpc/server.js';
import { RpcConnection } from '../../rpc/client.js';
import { obj, str } from '../../rpc/methods.js';
import { waitFor } from '../helpers/project.js';

const TOKEN = 'a'.repeat(64);

const servers: RpcServer[] = [];
const sockets: Socket[] = [];
const conns: RpcConnection[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of conns.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function serve(opts: Partial<RpcServerOptions> = {}): Promise<{ server: RpcServer; port: number }> {
  const server = new RpcServer({
    token: TOKEN,
    identity: { daemon: 'test' },
    methods: { echo: method(obj({ s: str }), (p) => ({ length: p.s.length })) },
    ...opts,
  });
  servers.push(server);
  return { server, port: await server.listen(0) };
}

/** A raw socket that connects and then does nothing unless told to; tracks whether it closed. */
function rawPeer(port: number): Promise<{ socket: Socket; closed: () => boolean; received: () => string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    let closed = false;
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    socket.once('connect', () => resolve({ socket, closed: () => closed, received: () => received }));
    socket.once('error', reject);
  });
}

async function owner(port: number): Promise<RpcConnection> {
  const { conn } = await RpcConnection.open(port, TOKEN, 5000);
  conns.push(conn);
  return conn;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RpcServer before authentication', () => {
  it('closes a connection that has not authenticated by the deadline, and keeps one that has', async () => {
    const { port, server } = await serve({ authDeadlineMs: 150 });
    const idle = await rawPeer(port);
    const authed = await owner(port);
    await waitFor(idle.closed, 5000, 'the idle connection to be closed');
    expect(server.unauthenticatedDropped.deadline).toBe(1);
    await sleep(300);
    expect(authed.closed).toBe(false);
    expect(await authed.call('echo', { s: 'hi' })).toEqual({ length: 2 });
  });

  it('closes a slow-loris peer (a byte at a time, never a whole line) by the same deadline', async () => {
    const { port } = await serve({ authDeadlineMs: 200 });
    const slow = await rawPeer(port);
    const line = '{"jsonrpc":"2.0","id":1,"method":"auth","params":{"token":"' + 'x'.repeat(200) + '"}}';
    for (let i = 0; i < 100 && !slow.closed(); i++) {
      slow.socket.write(line[i]);
      await sleep(20);
    }
    await waitFor(slow.closed, 5000, 'the slow peer to be closed');
  });

  it('closes a peer whose first line grows past the small bound, before any newline', async () => {
    const { port } = await serve({ authDeadlineMs: 60_000, maxAuthLineBytes: 1024 });
    const big = await rawPeer(port);
    big.socket.write('x'.repeat(64 * 1024));
    await waitFor(big.closed, 5000, 'the connection sending a long first line to be closed');
    expect(big.received()).toMatch(/message too large/);
  });

  it('takes long lines after authentication, also when they arrive in the same chunk as the auth line', async () => {
    const { port } = await serve({ authDeadlineMs: 60_000, maxAuthLineBytes: 1024 });
    const peer = await rawPeer(port);
    const s = 'y'.repeat(200_000);
    peer.socket.write(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'auth', params: { token: TOKEN } }) + '\n' + JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'echo', params: { s } }) + '\n',
    );
    await waitFor(() => peer.received().includes('"id":2'), 5000, 'the answer to the long request');
    expect(peer.received()).toContain('"length":200000');
    expect(peer.closed()).toBe(false);
    const conn = await owner(port);
    expect(await conn.call('echo', { s })).toEqual({ length: 200_000 });
  });
});

describe('RpcServer waiting room', () => {
  it('evicts the oldest unauthenticated connection when full, so the owner still gets in', async () => {
    const { port, server } = await serve({ authDeadlineMs: 60_000, maxUnauthenticated: 4 });
    const attackers = [];
    for (let i = 0; i < 4; i++) attackers.push(await rawPeer(port));
    await sleep(50);
    expect(attackers.some((a) => a.closed())).toBe(false);
    const conn = await owner(port);
    expect(await conn.call('echo', { s: 'ok' })).toEqual({ length: 2 });
    await waitFor(attackers[0].closed, 5000, 'the oldest attacker to be evicted');
    expect(attackers.slice(1).some((a) => a.closed())).toBe(false);
    expect(server.unauthenticatedDropped.evicted).toBe(1);
  });

  it('never holds more unauthenticated connections than its cap, however many come', async () => {
    const { port } = await serve({ authDeadlineMs: 60_000, maxUnauthenticated: 8 });
    const attackers: Awaited<ReturnType<typeof rawPeer>>[] = [];
    for (let i = 0; i < 40; i++) attackers.push(await rawPeer(port));
    await waitFor(() => attackers.filter((a) => !a.closed()).length <= 8, 5000, 'the waiting room to shrink to its cap');
    // The newest are the ones kept.
    expect(attackers.slice(-8).every((a) => !a.closed())).toBe(true);
  });

  it('does not count unauthenticated connections against authenticated ones', async () => {
    const { port } = await serve({ authDeadlineMs: 60_000, maxConnections: 6, maxUnauthenticated: 3 });
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await rawPeer(port));
    const owners: RpcConnection[] = [];
    for (let i = 0; i < 6; i++) owners.push(await owner(port));
    for (const c of owners) expect(await c.call('echo', { s: 'x' })).toEqual({ length: 1 });
    // Attackers arriving now take the waiting room, not an owner's place.
    for (let i = 0; i < 5; i++) held.push(await rawPeer(port));
    await sleep(50);
    for (const c of owners) expect(c.closed).toBe(false);
  });
});
