// The framing of what the cache stores: a JSON header and a payload, with lengths, so
// truncation is caught even before the integrity check.

/** A stored blob that passed the integrity check but is not in our format. */
export class CorruptEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptEntryError';
  }
}

const MAGIC = Buffer.from('RBC1');

export function encodeBlob(header: object, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.from(JSON.stringify({ ...header, payload_size: payload.length }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length);
  return Buffer.concat([MAGIC, len, h, payload]);
}

export function decodeBlob(data: Buffer): { header: Record<string, unknown>; payload: Buffer } {
  if (data.length < 8 || !data.subarray(0, 4).equals(MAGIC)) throw new CorruptEntryError('not a replibuild cache blob');
  const hlen = data.readUInt32BE(4);
  if (8 + hlen > data.length) throw new CorruptEntryError('blob header runs past its end');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(data.subarray(8, 8 + hlen).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new CorruptEntryError('blob header is not JSON');
  }
  if (typeof header !== 'object' || header === null) throw new CorruptEntryError('blob header is not an object');
  const payload = data.subarray(8 + hlen);
  if (header.payload_size !== payload.length) {
    throw new CorruptEntryError(`payload is ${payload.length} bytes, header says ${String(header.payload_size)}`);
  }
  return { header, payload };
}
