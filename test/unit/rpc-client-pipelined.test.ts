// A pipelined open (RpcConnection.openPipelined) sends the token and the first call in
// one write: the CLI's build is one call on a fresh connection, and two writes would be
// two segments (noDelay), two system calls and two wake-ups of the daemon.
import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RpcServer, method } from '../../rpc/server.js';
import { RpcConnection } from '../../rpc/client.js';
import { obj, str } from '../../rpc/methods.js';
import { connectNet } from '../../rpc/net-tcp.js';

const TOKEN = 'b'.repeat(64);
const servers: RpcServer[] = [];
const conns: RpcConnection[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of conns.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function serve(): Promise<number> {
  const server = new RpcServer({ token: TOKEN, identity: { daemon: 'test' }, methods: { echo: method(obj({ s: str }), (p) => ({ s: p.s })) } });
  servers.push(server);
  return server.listen(0);
}

/** The writes every socket hands to the kernel, each as the text of its chunks. */
function recordWrites(): string[] {
  const writes: string[] = [];
  const proto = Socket.prototype as unknown as Record<string, (...a: any[]) => unknown>;
  const write = proto._write!;
  const writev = proto._writev!;
  vi.spyOn(proto, '_write').mockImplementation(function (this: Socket, chunk: unknown, enc: unknown, cb: unknown) {
    writes.push(String(chunk));
    return write.call(this, chunk, enc, cb);
  });
  vi.spyOn(proto, '_writev').mockImplementation(function (this: Socket, chunks: { chunk: unknown }[], cb: unknown) {
    writes.push(chunks.map((c) => String(c.chunk)).join(''));
    return writev.call(this, chunks, cb);
  });
  return writes;
}

describe('RpcConnection.openPipelined', () => {
  it('sends the token and the first call in one write (node:net)', async () => {
    const port = await serve();
    const writes = recordWrites();
    const { conn, identity } = await RpcConnection.openPipelined(port, TOKEN, 5000, connectNet);
    conns.push(conn);
    const answer = conn.call('echo', { s: 'first' });
    expect(await identity).toMatchObject({ daemon: 'test' });
    expect(await answer).toEqual({ s: 'first' });
    const ours = writes.filter((w) => w.includes(TOKEN) || w.includes('"method":"echo"'));
    expect(ours, JSON.stringify(writes)).toHaveLength(1);
    expect(ours[0]).toContain(TOKEN);
    expect(ours[0]).toContain('"first"');
  });

  it('sends the token alone when no call follows in the same turn, and later calls still go', async () => {
    const port = await serve();
    const { conn, identity } = await RpcConnection.openPipelined(port, TOKEN);
    conns.push(conn);
    expect(await identity).toMatchObject({ daemon: 'test' });
    await new Promise((r) => setTimeout(r, 10));
    expect(await conn.call('echo', { s: 'later' })).toEqual({ s: 'later' });
    expect(await conn.call('echo', { s: 'again' })).toEqual({ s: 'again' });
  });
});
