/** Resolves after the current event-loop turn (setImmediate): work chained on it starts
 *  only once the answer being sent now is on the socket. */
export function nextTurn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
