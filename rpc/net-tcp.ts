// A connection to a daemon through node:net.
import { connect } from 'node:net';
import { connectTimeout, type RpcWire } from './wire.js';

export function connectNet(port: number, timeoutMs: number): Promise<RpcWire> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true });
    const timer = setTimeout(() => {
      s.destroy();
      reject(connectTimeout(port, timeoutMs));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
