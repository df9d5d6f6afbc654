// Overlay frames on a data channel are JSON text, at most MAX_FRAME_BYTES of UTF-8. Decoding is an
// edge: bad input becomes a value (the transport drops and counts it), never an exception.

import { MAX_FRAME_BYTES } from '../config.js';

/**
 * Largest SignalBlob (SDP text) a node accepts, wherever it travels (overlay, bootstrap). An SDP with
 * host candidates is 1-3 KB; 16 KB leaves room for many interfaces and TURN candidates.
 */
export const MAX_SIGNAL_CHARS = 16 * 1024;

export type DecodedFrame =
  | { readonly ok: true; readonly frame: unknown }
  | { readonly ok: false; readonly reason: 'oversized' | 'malformed' };

export type EncodedFrame =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: 'oversized' | 'unserialisable' };

const utf8 = new TextEncoder();
// fatal: invalid UTF-8 is malformed input, not something to paper over with U+FFFD.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeFrame(frame: unknown, maxBytes = MAX_FRAME_BYTES): EncodedFrame {
  let text: string | undefined;
  try {
    text = JSON.stringify(frame);
  } catch {
    return { ok: false, reason: 'unserialisable' }; // cycles, BigInt
  }
  if (text === undefined) return { ok: false, reason: 'unserialisable' }; // undefined, functions
  if (exceedsUtf8Bytes(text, maxBytes)) return { ok: false, reason: 'oversized' };
  return { ok: true, text };
}

/** `data` as it comes off a data channel: a string, or bytes (Node Buffers, ArrayBuffers). */
export function decodeFrame(data: unknown, maxBytes = MAX_FRAME_BYTES): DecodedFrame {
  let text: string;
  if (typeof data === 'string') {
    if (exceedsUtf8Bytes(data, maxBytes)) return { ok: false, reason: 'oversized' };
    text = data;
  } else if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
    if (data.byteLength > maxBytes) return { ok: false, reason: 'oversized' };
    try {
      text = strictUtf8.decode(data);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
  } else {
    return { ok: false, reason: 'malformed' };
  }
  try {
    return { ok: true, frame: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}

/** True when `text` is longer than `maxBytes` in UTF-8; one UTF-16 unit is 1 to 3 UTF-8 bytes. */
function exceedsUtf8Bytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return utf8.encode(text).length > maxBytes;
}
