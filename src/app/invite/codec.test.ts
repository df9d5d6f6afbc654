import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestNode, stopAllTestNodes } from '../../../tests/integration/webrtc-testkit.js';
import type { SignalBlob } from '../../overlay/environment.js';
import { base32, ipv6Bytes, ipv6Text } from './bytes.js';
import { decodeInvite, decodeReply, describeInviteError, encodeInvite, encodeReply, type InviteError } from './codec.js';
import { INVITE_LIMITS } from './config.js';
import { essentialsOf, sdpFrom, type SdpEssentials } from './sdp-essentials.js';

afterEach(() => stopAllTestNodes());

const NOW = Date.UTC(2026, 11, 2, 3, 0, 0);
const LATER = NOW + INVITE_LIMITS.validityMs;

/** A real offer/answer pair from @roamhq/wrtc (libwebrtc, as in Chromium). */
async function realSdps(): Promise<{ offer: string; answer: string }> {
  const alice = startTestNode();
  const bob = startTestNode();
  let pair: { offer: string; answer: string } | undefined;
  await alice.transport.dial(null, async (offer) => {
    const answer = await bob.transport.answer(null, offer);
    pair = { offer: offer.data, answer: answer.data };
    return answer;
  });
  return pair!;
}

function essentials(sdp: string): SdpEssentials {
  const result = essentialsOf(sdp);
  if (!result.ok) throw new Error(result.reason);
  return result.essentials;
}

/** A code with any payload, framed and checked as the format says (for contents the encoder never writes). */
function codeWith(letter: 'I' | 'R', flags: number, payload: Uint8Array, version = 1): string {
  const prefix = `DIMA${letter}${version}-`;
  const body = Uint8Array.from([flags, ...payload]);
  const check = sha256(Uint8Array.from([...new TextEncoder().encode(prefix), ...body])).slice(0, 4);
  return prefix + base32(Uint8Array.from([...body, ...check]));
}

describe('invite codes', () => {
  it('carry a real offer and answer: the SDPs rebuilt from the codes open an authenticated link', async () => {
    const alice = startTestNode();
    const bob = startTestNode();
    const sizes: number[] = [];
    const link = await alice.transport.dial(null, async (offer: SignalBlob) => {
      const invite = encodeInvite(essentials(offer.data), LATER);
      sizes.push(invite.code.length);
      const received = decodeInvite(invite.code, NOW);
      if (!received.ok) throw new Error(received.error);
      const answer = await bob.transport.answer(null, { kind: 'offer', data: sdpFrom(received.value.offer) });
      const reply = encodeReply(essentials(answer.data), received.value.tag);
      sizes.push(reply.length);
      const back = decodeReply(reply);
      if (!back.ok) throw new Error(back.error);
      expect(back.value.answers).toBe(invite.tag);
      return { kind: 'answer', data: sdpFrom(back.value.answer) };
    });
    expect(link.peer).toBe(bob.identity.id);
    await bob.events.until(() => bob.events.links.length === 1);
    console.info(`[invite] invite ${sizes[0]} chars, reply ${sizes[1]} chars`);
    for (const size of sizes) expect(size).toBeLessThan(200);
  });

  it('keep every essential field of a real SDP, fingerprints exactly', async () => {
    const { offer, answer } = await realSdps();
    for (const sdp of [offer, answer]) {
      const before = essentials(sdp);
      const invite = decodeInvite(encodeInvite(before, LATER).code, NOW);
      expect(invite.ok && invite.value.offer).toEqual(before);
      // The rebuilt SDP says the same again.
      expect(essentials(sdpFrom(before))).toEqual(before);
      expect(sdpFrom(before)).toContain(sdp.match(/a=fingerprint:[^\r\n]+/)![0]);
    }
  });

  it('are refused once expired, by the clock they are read with', async () => {
    const { offer } = await realSdps();
    const { code } = encodeInvite(essentials(offer), LATER);
    expect(decodeInvite(code, LATER - 1000).ok).toBe(true);
    expect(decodeInvite(code, LATER)).toEqual({ ok: false, error: 'expired' });
  });

  it('tell foreign, other-version, wrong-kind, damaged, too long and empty codes apart', async () => {
    const { offer, answer } = await realSdps();
    const invite = encodeInvite(essentials(offer), LATER);
    const reply = encodeReply(essentials(answer), invite.tag);
    const error = (text: string, kind: 'invite' | 'reply' = 'invite'): InviteError | 'ok' => {
      const result = kind === 'invite' ? decodeInvite(text, NOW) : decodeReply(text);
      return result.ok ? 'ok' : result.error;
    };
    expect(error(invite.code)).toBe('ok');
    expect(error(` ${invite.code.toLowerCase().replace(/(.{40})/g, '$1\n')} `)).toBe('ok'); // wrapped, retyped
    expect(error('')).toBe('empty');
    expect(error('https://example.org/?join=1')).toBe('foreign');
    expect(error('WIFI:S:home;T:WPA;P:secret;;')).toBe('foreign');
    expect(error(invite.code.replace('DIMAI1-', 'DIMAI2-'))).toBe('other-version');
    expect(error(reply)).toBe('wrong-kind');
    expect(error(invite.code, 'reply')).toBe('wrong-kind');
    const flipped = invite.code.slice(0, 20) + (invite.code[20] === 'A' ? 'B' : 'A') + invite.code.slice(21);
    expect(error(flipped)).toBe('damaged');
    expect(error(invite.code.slice(0, -3))).toBe('damaged');
    expect(error(invite.code + '1')).toBe('damaged'); // outside the alphabet
    expect(error(invite.code + 'A'.repeat(INVITE_LIMITS.maxCodeChars))).toBe('too-long');
    for (const e of ['empty', 'too-long', 'foreign', 'other-version', 'wrong-kind', 'damaged', 'malformed', 'expired'] as const) {
      expect(describeInviteError(e, 'invite').length).toBeGreaterThan(10);
    }
  });

  it('refuse checked codes whose contents are not an invite, and stop a zip bomb at the bound', () => {
    const t0 = performance.now();
    // 300 KB of zeros in a code short enough to be taken (DEFLATE's best ratio is about 1:1000).
    const bomb = codeWith('I', 1, deflateSync(new Uint8Array(300_000), { level: 9 }));
    expect(bomb.length).toBeLessThanOrEqual(INVITE_LIMITS.maxCodeChars);
    expect(decodeInvite(bomb, NOW)).toEqual({ ok: false, error: 'too-long' });
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(decodeInvite(codeWith('I', 0, new Uint8Array(10)), NOW)).toEqual({ ok: false, error: 'malformed' });
    expect(decodeInvite(codeWith('I', 0, new Uint8Array(INVITE_LIMITS.maxPayloadBytes + 1)), NOW)).toEqual({ ok: false, error: 'too-long' });
    expect(decodeInvite(codeWith('I', 7, new Uint8Array(10)), NOW)).toEqual({ ok: false, error: 'malformed' });
    expect(decodeReply(codeWith('R', 1, Uint8Array.from([1, 2, 3])))).toEqual({ ok: false, error: 'malformed' });
  });

  it('round-trip any essentials the schema accepts (property)', () => {
    const iceChars = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9+/]{${min},${max}}$`));
    const hexPairs = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':'));
    const address = fc.oneof(
      fc.ipV4(),
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Array.from({ length: 8 }, (_, i) => ((b[2 * i] << 8) | b[2 * i + 1]).toString(16)).join(':')),
      fc.uuid().map((u) => `${u}.local`),
    );
    const essentials = fc.record({
      ufrag: iceChars(4, 32),
      pwd: iceChars(22, 64),
      fingerprints: fc.array(fc.constantFrom(['sha-256', 32] as const, ['sha-1', 20] as const).chain(([algorithm, n]) => hexPairs(n).map((digest) => ({ algorithm, digest }))), { minLength: 1, maxLength: 2 }),
      setup: fc.constantFrom('actpass' as const, 'active' as const, 'passive' as const),
      mid: fc.stringMatching(/^[A-Za-z0-9]{1,4}$/),
      sctpPort: fc.oneof(fc.constant(5000), fc.integer({ min: 1, max: 65535 })),
      maxMessageSize: fc.constantFrom(undefined, 262144, 0, 65536, 1073741823),
      candidates: fc.array(fc.record({ type: fc.constantFrom('host' as const, 'srflx' as const), address, port: fc.integer({ min: 1, max: 65535 }) }), { minLength: 1, maxLength: 4 }),
    }).map(({ maxMessageSize, ...rest }): SdpEssentials => (maxMessageSize === undefined ? rest : { ...rest, maxMessageSize }));
    fc.assert(
      fc.property(essentials, fc.integer({ min: 1, max: 2 ** 31 }), (e, seconds) => {
        const expiresAt = NOW + seconds * 1000;
        const decoded = decodeInvite(encodeInvite(e, expiresAt).code, NOW);
        if (!decoded.ok) return false;
        const normal = (c: SdpEssentials['candidates'][number]) => {
          const v6 = c.address.includes(':') ? ipv6Bytes(c.address) : undefined;
          return { ...c, address: v6 ? ipv6Text(v6) : c.address.toLowerCase() };
        };
        expect(decoded.value.expiresAt).toBe(expiresAt);
        expect({ ...decoded.value.offer, candidates: decoded.value.offer.candidates.map(normal) }).toEqual({
          ...e,
          candidates: e.candidates.map(normal),
        });
        return true;
      }),
      { numRuns: 200 },
    );
  });
});
