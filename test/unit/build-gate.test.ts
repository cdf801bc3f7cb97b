import { describe, expect, it } from 'vitest';
import { BuildGate } from '../../daemons/orchestrator/build-gate.js';

describe('BuildGate', () => {
  it('is open while no build holds it, and opens once the last holder releases', async () => {
    const gate = new BuildGate();
    await gate.open(); // nobody holds it: at once
    const a = gate.hold();
    const b = gate.hold();
    let opened = false;
    const waiting = gate.open().then(() => (opened = true));
    a();
    a(); // a second release of the same hold changes nothing
    await Promise.resolve();
    expect(opened).toBe(false);
    b();
    await waiting;
    expect(opened).toBe(true);
    await gate.open();
  });
});
