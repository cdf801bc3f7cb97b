// The CLI's connection without node:net (rpc/lean-tcp.ts), against real servers on
// loopback: what RpcConnection relies on from a socket, and the errors net would give.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { leanTcpConnector } from '../../rpc/lean-tcp.js';
import { RpcConnection, ConnectionClosedError } from '../../rpc/client.js';
import { RpcServer, method } from '../../rpc/server.js';
import { obj, str } from '../../rpc/methods.js';
import type { RpcWire } from '../../rpc/wire.js';

const TOKEN = 'c'.repeat(64);
const servers: { close(): unknown }[] = [];
const wires: RpcWire[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const w of wires.splice(0)) w.destroy();
  for (const s of servers.splice(0)) await s.close();
});

function listen(onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer(onConn);
    servers.push({ close: () => new Promise((r) => server.close(r)) });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

function connector() {
  const c = leanTcpConnector();
  if (!c) throw new Error('the lean connection is not available on this Node: rpc/lean-tcp.ts checks the bindings');
  return c;
}

async function open(port: number): Promise<RpcWire> {
  const w = await connector()(port, 5000);
  wires.push(w);
  return w;
}

const received = (w: RpcWire) => {
  const chunks: Buffer[] = [];
  const closed = new Promise<void>((r) => w.on('close', r));
  w.on('data', (b) => chunks.push(b));
  return { text: () => Buffer.concat(chunks).toString(), closed };
};

describe('lean TCP connection', () => {
  it('is available on the Node this runs on (the CLI would fall back to node:net)', () => {
    expect(leanTcpConnector()).not.toBeNull();
  });

  it('exchanges bytes both ways, and says close when the peer ends', async () => {
    const { port } = await listen((s) => s.on('data', (d) => s.end(`echo:${d}`)));
    const w = await open(port);
    const got = received(w);
    w.write('héllo\n');
    await got.closed;
    expect(got.text()).toBe('echo:héllo\n');
  });

  it('reads a line far bigger than one read, whole and in order', async () => {
    const big = 'x'.repeat(3 << 20);
    const { port } = await listen((s) => s.end(`${big}\n`));
    const w = await open(port);
    const got = received(w);
    await got.closed;
    expect(got.text()).toBe(`${big}\n`);
  });

  it('holds writes while corked and sends them in order once uncorked', async () => {
    let got = '';
    let ended!: () => void;
    const end = new Promise<void>((r) => (ended = r));
    const { port } = await listen((s) => s.on('data', (d) => (got += d)).on('close', ended));
    const w = await open(port);
    w.cork();
    w.write('a');
    w.write('b');
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toBe(''); // nothing left while corked
    w.uncork();
    w.write('c');
    w.destroy();
    await end;
    expect(got).toBe('abc');
  });

  it('fails a connection to a closed port as node:net does (ECONNREFUSED)', async () => {
    const { server, port } = await listen(() => undefined);
    await new Promise((r) => server.close(r));
    const e = await connector()(port, 5000).catch((x: unknown) => x as NodeJS.ErrnoException);
    expect(e).toBeInstanceOf(Error);
    expect((e as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect((e as Error).message).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('carries a pipelined RPC: the token and the first call in one write, the answer back', async () => {
    const server = new RpcServer({ token: TOKEN, identity: { daemon: 'test' }, methods: { echo: method(obj({ s: str }), (p) => ({ s: p.s })) } });
    servers.push(server);
    const port = await server.listen(0);
    const tcp = (process as unknown as { binding(n: string): { TCP: { prototype: Record<string, (...a: unknown[]) => number> } } }).binding('tcp_wrap').TCP.prototype;
    const original = tcp.writeUtf8String!;
    const writes: string[] = [];
    vi.spyOn(tcp, 'writeUtf8String').mockImplementation(function (this: unknown, req: unknown, text: unknown) {
      writes.push(String(text));
      return original.call(this, req, text);
    });
    const { conn, identity } = await RpcConnection.openPipelined(port, TOKEN);
    const answer = conn.call('echo', { s: 'first' });
    expect(await identity).toMatchObject({ daemon: 'test' });
    expect(await answer).toEqual({ s: 'first' });
    const ours = writes.filter((w) => w.includes(TOKEN) || w.includes('"method":"echo"'));
    expect(ours, JSON.stringify(writes)).toHaveLength(1);
    expect(ours[0]).toContain('"first"');
    conn.close();
    await expect(conn.call('echo', { s: 'after' })).rejects.toBeInstanceOf(ConnectionClosedError);
  });
});
