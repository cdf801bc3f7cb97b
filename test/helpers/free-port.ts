// A loopback port free right now, for servers that cannot take port 0 themselves
// (redis-server, distccd): bound by node, closed, then handed over. Another process
// may take it in between; callers that care retry.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}
