/** Resolves once the answer being sent now is on the socket, so that work chained on it
 *  (a cache store, a build's after-work) does not hold that answer up. The RPC server
 *  itself writes what a turn sent from a setImmediate (one write per turn, rpc/server.ts):
 *  a single setImmediate made earlier in the same turn would run before that write, so
 *  this takes two, and runs after every setImmediate of the turn it was called in. */
export function nextTurn(): Promise<void> {
  return new Promise((r) => setImmediate(() => setImmediate(r)));
}
