import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeJoinReply, decodeMergeHint, decodeSignalBody, MAX_IDS_PER_FRAME, MAX_MERGE_FAR_HOPS } from './messages.js';
import { hexId } from './testing/ids.js';

describe('overlay wire messages', () => {
  const key = hexId('ab');
  const route = { t: 'route', id: 'm1', key, origin: key, hops: 0, app: 'x', body: { any: 1 }, want: false };

  it('accepts every well-formed frame type', () => {
    for (const frame of [
      route,
      { ...route, t: 'direct' },
      { t: 'reply', id: 'm1', from: key, hops: 2, body: null },
      { t: 'ping', stamp: 5 },
      { t: 'pong', stamp: 5 },
      { t: 'need', need: false },
      { t: 'ask', what: 'row', row: 3 },
      { t: 'nodes', what: 'leafset', ids: [key] },
      { t: 'announce' },
      { t: 'busy' },
      { t: 'leaving' },
    ]) {
      expect(decodeFrame(frame)).toMatchObject({ ok: true });
    }
  });

  it('drops malformed frames with a reason instead of throwing', () => {
    const bad: unknown[] = [
      null,
      'route',
      [],
      { t: 'nope' },
      { ...route, key: 'not-an-id' },
      { ...route, hops: -1 },
      { ...route, hops: 1.5 },
      { ...route, id: '' },
      { ...route, id: 'x'.repeat(33) },
      { ...route, app: 'a'.repeat(40) },
      { ...route, want: 'yes' },
      { t: 'ping', stamp: Infinity },
      { t: 'ask', what: 'row', row: 500 },
      { t: 'nodes', what: 'leafset', ids: ['zz'] },
      { t: 'nodes', what: 'leafset', ids: new Array(MAX_IDS_PER_FRAME + 1).fill(key) },
    ];
    for (const frame of bad) {
      const decoded = decodeFrame(frame);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.reason.length).toBeGreaterThan(0);
    }
  });

  it('validates join replies and signalling bodies', () => {
    expect(decodeJoinReply({ root: key, leafSet: [key], candidates: [] })).toBeDefined();
    expect(decodeJoinReply({ root: 'x', leafSet: [], candidates: [] })).toBeUndefined();
    expect(decodeSignalBody({ target: key, kind: 'offer', data: 'sdp' })).toBeDefined();
    expect(decodeSignalBody({ target: key, kind: 'offer', data: 'x'.repeat(40_000) })).toBeUndefined();
  });

  it('validates ring-merge hints: a node id and a far budget within bounds', () => {
    expect(decodeMergeHint({ contact: key, far: 0 })).toEqual({ contact: key, far: 0 });
    expect(decodeMergeHint({ contact: key, far: MAX_MERGE_FAR_HOPS, extra: 'x'.repeat(10) })).toEqual({ contact: key, far: MAX_MERGE_FAR_HOPS });
    for (const bad of [null, 'hint', { contact: 'nope', far: 1 }, { contact: key }, { contact: key, far: -1 }, { contact: key, far: 1.5 }, { contact: key, far: MAX_MERGE_FAR_HOPS + 1 }]) {
      expect(decodeMergeHint(bad)).toBeUndefined();
    }
  });
});
