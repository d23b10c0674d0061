// MessagePack for JSON values: what BullMQ's Lua scripts unpack (cmsgpack) their arguments from.
// Small on purpose: Slipway packs a queue's job options once, and build ids inside Lua.

/** The MessagePack encoding of a JSON value (undefined packs as nil, as BullMQ packs it). */
export function packJson(value: unknown): Buffer {
  const out: Buffer[] = [];
  pack(value, out);
  return Buffer.concat(out);
}

/** A map header for `size` entries. */
export function packMapHeader(size: number): Buffer {
  return header(size, 0x80, 16, 0xde, 0xdf);
}

function header(size: number, fix: number, fixLimit: number, code16: number, code32: number): Buffer {
  if (size < fixLimit) return Buffer.from([fix | size]);
  if (size < 0x10000) return Buffer.from([code16, size >> 8, size & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = code32;
  b.writeUInt32BE(size, 1);
  return b;
}

function packNumber(n: number): Buffer {
  if (Number.isInteger(n)) {
    if (n >= 0 && n < 0x80) return Buffer.from([n]);
    if (n < 0 && n >= -32) return Buffer.from([n & 0xff]);
    if (n >= 0 && n < 0x100) return Buffer.from([0xcc, n]);
    if (n >= 0 && n < 0x10000) return Buffer.from([0xcd, n >> 8, n & 0xff]);
    if (n >= 0 && n < 0x100000000) {
      const b = Buffer.alloc(5);
      b[0] = 0xce;
      b.writeUInt32BE(n, 1);
      return b;
    }
    if (n >= -0x80000000 && n < 0) {
      const b = Buffer.alloc(5);
      b[0] = 0xd2;
      b.writeInt32BE(n, 1);
      return b;
    }
  }
  const b = Buffer.alloc(9);
  b[0] = 0xcb;
  b.writeDoubleBE(n, 1);
  return b;
}

function pack(value: unknown, out: Buffer[]): void {
  if (value === null || value === undefined) out.push(Buffer.from([0xc0]));
  else if (typeof value === 'boolean') out.push(Buffer.from([value ? 0xc3 : 0xc2]));
  else if (typeof value === 'number') out.push(packNumber(value));
  else if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    out.push(bytes.length < 32 ? Buffer.from([0xa0 | bytes.length]) : bytes.length < 0x100 ? Buffer.from([0xd9, bytes.length]) : header(bytes.length, 0, 0, 0xda, 0xdb), bytes);
  } else if (Array.isArray(value)) {
    out.push(header(value.length, 0x90, 16, 0xdc, 0xdd));
    for (const v of value) pack(v, out);
  } else if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    out.push(packMapHeader(entries.length));
    for (const [k, v] of entries) {
      pack(k, out);
      pack(v, out);
    }
  } else throw new TypeError(`cannot pack a ${typeof value}`);
}
