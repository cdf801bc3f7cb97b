// A file's sha256, read through one buffer the caller may keep and lend again: the
// discovery daemon hashes thousands of files in a scan and the orchestrator hashes big
// outputs, and a buffer per read would be memory outside V8's heap until a later GC.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** Hex sha256 of the file's content. Errors (a missing file included) are the caller's. */
export async function sha256File(abs: string, buf: Buffer = Buffer.allocUnsafe(64 * 1024)): Promise<string> {
  const fh = await open(abs, 'r');
  try {
    const h = createHash('sha256');
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
    return h.digest('hex');
  } finally {
    await fh.close();
  }
}
