// The method tables (protocol/methods.ts) against what the daemons really serve:
// every served method is in its daemon's table, and every table entry is served.
import { describe, expect, it } from 'vitest';
import { DAEMON_NAMES, type DaemonName } from '../../config/daemon-names.js';
import { DAEMON_TABLES, commonTable, orchestratorTable, setupTable } from '../../protocol/methods.js';
import { proxy, serve, type Caller } from '../../rpc/methods.js';
import { RpcServer, method, type MethodMap } from '../../rpc/server.js';
import { RpcConnection } from '../../rpc/client.js';
import { RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { obj } from '../../rpc/methods.js';
import { isCancellation } from '../../toolchain/compile-runner.js';
import { commonMethods } from '../../daemons/host/daemon-process.js';
import { setupMethods } from '../../daemons/setup/server.js';
import { discoveryMethods } from '../../daemons/discovery/server.js';
import { compilationMethods } from '../../daemons/compilation/server.js';
import { orchestratorMethods } from '../../daemons/orchestrator/server.js';

// Building a method map calls nothing on the services; stand-ins do.
const stub = {} as never;

const served: Record<DaemonName, MethodMap> = {
  setup: setupMethods(stub),
  discovery: discoveryMethods(stub, stub),
  compilation: compilationMethods(stub, stub),
  orchestrator: orchestratorMethods(stub, stub),
};

const common = commonMethods({
  name: 'setup',
  root: '/nowhere',
  started: Date.now(),
  counters: () => ({ requestsServed: 0, openConnections: 0 }),
  details: () => ({}),
  stopping: () => false,
  shutdown: () => {},
});

const names = (o: object) => Object.keys(o).sort();

describe('method tables', () => {
  it.each(DAEMON_NAMES)('%s serves exactly its table', (name) => {
    expect(names(served[name])).toEqual(names(DAEMON_TABLES[name]));
    for (const m of Object.keys(DAEMON_TABLES[name])) {
      expect(served[name][m].params, m).toBe((DAEMON_TABLES[name] as Record<string, { params: unknown }>)[m].params);
    }
  });

  it('every daemon serves the common table, and no daemon table shadows it', () => {
    expect(names(common)).toEqual(names(commonTable));
    for (const name of DAEMON_NAMES) {
      for (const m of Object.keys(commonTable)) expect(Object.keys(served[name]), `${name}.${m}`).not.toContain(m);
    }
  });

  it('answers ping and status from the common methods', async () => {
    const ctx = { requestId: 1, progress: () => {}, signal: new AbortController().signal };
    expect(await common.ping.handle(common.ping.params(undefined, 'params'), ctx)).toMatchObject({ name: 'setup', project: '/nowhere', pid: process.pid });
    expect(await common.status.handle({}, ctx)).toMatchObject({ name: 'setup', requests_served: 0, connections: 0, details: {} });
  });
});

describe('serve and proxy', () => {
  it('applies the table check before the handler', async () => {
    const map = serve(setupTable, { get_config: () => stub });
    expect(map.get_config.params(undefined, 'params')).toEqual({ rescan: false });
    expect(() => map.get_config.params({ rescan: 1 }, 'params')).toThrow(/params.rescan must be a boolean/);
    expect(() => map.get_config.params({ rescn: true }, 'params')).toThrow(/unknown parameter/);
  });

  it('calls by the table name, passing params and options through', async () => {
    const calls: [string, unknown, unknown][] = [];
    const caller: Caller = { call: async (m, p, o) => (calls.push([m, p, o]), { removed: 'build' }) };
    const orch = proxy(orchestratorTable, caller);
    const onProgress = () => {};
    await orch.build({ targets: ['app'], jobs: 0, keep_going: false, verbose: false }, { onProgress });
    expect(await orch.clean()).toEqual({ removed: 'build' });
    expect(calls).toEqual([
      ['build', { targets: ['app'], jobs: 0, keep_going: false, verbose: false }, { onProgress }],
      ['clean', {}, undefined],
    ]);
    expect(names(orch)).toEqual(names(orchestratorTable));
  });
});

describe('cancellation over the wire', () => {
  it('an AbortError in a handler reaches the caller as Cancelled, and reads as a cancellation there', async () => {
    const token = 'c'.repeat(64);
    const server = new RpcServer({
      token,
      identity: {},
      methods: { work: method(obj({}), () => Promise.reject(Object.assign(new Error('compile of a.o cancelled'), { name: 'AbortError' }))) },
    });
    const port = await server.listen(0);
    const { conn } = await RpcConnection.open(port, token);
    try {
      const err = await conn.call('work').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe(ErrorCode.Cancelled);
      expect((err as RpcError).message).toBe('compile of a.o cancelled');
      expect(isCancellation(err)).toBe(true);
      expect(isCancellation(new RpcError(ErrorCode.InternalError, 'x'))).toBe(false);
    } finally {
      conn.close();
      await server.close();
    }
  });
});
