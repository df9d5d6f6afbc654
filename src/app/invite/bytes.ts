// Small byte-level pieces of the invite codec: a writer and a bounds-checked reader, IP addresses as
// bytes, and RFC 4648 base32. Base32 because its alphabet (A-Z, 2-7) is inside the QR code's
// alphanumeric mode (5.5 bits a character instead of 8 in byte mode) and survives being read aloud,
// retyped in any case, or wrapped by a chat app.

export class ByteWriter {
  private readonly bytes: number[] = [];

  u8(n: number): this {
    this.bytes.push(n & 0xff);
    return this;
  }
  u16(n: number): this {
    return this.u8(n >>> 8).u8(n);
  }
  u32(n: number): this {
    return this.u16(Math.floor(n / 0x10000)).u16(n & 0xffff);
  }
  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.bytes.push(b);
    return this;
  }
  /** A short ASCII string: length byte, then its characters (callers check the charset). */
  str8(text: string): this {
    if (text.length > 255) throw new Error('string too long for str8');
    this.u8(text.length);
    for (let i = 0; i < text.length; i++) this.u8(text.charCodeAt(i));
    return this;
  }
  /**
   * ICE credentials (RFC 8839 ice-chars: exactly the base64 alphabet) at 6 bits a character: a
   * length byte, then the packed bits. A 24-character pwd takes 18 bytes instead of 24.
   */
  ice(text: string): this {
    if (text.length > 255) throw new Error('ICE string too long');
    this.u8(text.length);
    const values = [...text].map((char) => {
      const value = ICE_CHARS.indexOf(char);
      if (value < 0) throw new Error('not an ICE character');
      return value;
    });
    for (const byte of regroupBits(values, 6, 8, true)) this.u8(byte);
    return this;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** Thrown by ByteReader on a read past the end; the codec turns it into a 'damaged' value. */
export class Truncated extends Error {}

export class ByteReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset === this.bytes.length;
  }
  u8(): number {
    if (this.offset >= this.bytes.length) throw new Truncated();
    return this.bytes[this.offset++];
  }
  u16(): number {
    return this.u8() * 0x100 + this.u8();
  }
  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }
  raw(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw new Truncated();
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  str8(): string {
    return String.fromCharCode(...this.raw(this.u8()));
  }
  ice(): string {
    const length = this.u8();
    const bytes = this.raw(Math.ceil((length * 6) / 8));
    // The last byte's padding can add one more 6-bit group; the length byte says where the text ends.
    return regroupBits(bytes, 8, 6, false)
      .slice(0, length)
      .map((value) => ICE_CHARS[value])
      .join('');
  }
}

const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// ---- addresses --------------------------------------------------------------------------------

export function ipv4Bytes(address: string): Uint8Array | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

export function ipv4Text(bytes: Uint8Array): string {
  return [...bytes].join('.');
}

export function ipv6Bytes(address: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(address)) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >>> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as '::'. */
export function ipv6Text(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

const MDNS_NAME = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\.local$/i;

/** Browsers hide host addresses behind `<random uuid>.local`: 16 bytes instead of 42 characters. */
export function mdnsBytes(name: string): Uint8Array | undefined {
  const match = MDNS_NAME.exec(name);
  if (!match) return undefined;
  return hexBytes(match.slice(1).join(''));
}

export function mdnsText(bytes: Uint8Array): string {
  const hex = bytesHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}.local`;
}

export function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function bytesHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// ---- base32 (RFC 4648, no padding) --------------------------------------------------------------

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32(bytes: Uint8Array): string {
  return regroupBits(bytes, 8, 5, true)
    .map((value) => BASE32[value])
    .join('');
}

/** Undefined on any character outside the alphabet (callers upper-case and strip white space first). */
export function fromBase32(text: string): Uint8Array | undefined {
  const values = [...text].map((char) => BASE32.indexOf(char));
  if (values.some((value) => value < 0)) return undefined;
  return Uint8Array.from(regroupBits(values, 5, 8, false));
}

/**
 * Regroups a stream of `fromBits`-wide values into `toBits`-wide ones, most significant bit first.
 * A final partial group is zero-padded on the right when `padTail` (encoding), dropped otherwise
 * (decoding, where those bits are the encoder's padding).
 */
function regroupBits(values: Iterable<number>, fromBits: number, toBits: number, padTail: boolean): number[] {
  const out: number[] = [];
  const mask = (1 << toBits) - 1;
  let buffer = 0;
  let bits = 0;
  for (const value of values) {
    buffer = (buffer << fromBits) | value;
    bits += fromBits;
    while (bits >= toBits) {
      out.push((buffer >>> (bits - toBits)) & mask);
      bits -= toBits;
    }
    buffer &= (1 << bits) - 1;
  }
  if (padTail && bits > 0) out.push((buffer << (toBits - bits)) & mask);
  return out;
}
