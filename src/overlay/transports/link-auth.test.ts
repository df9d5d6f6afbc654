import { describe, expect, it } from 'vitest';
import { generateIdentity, type Identity } from '../identity.js';
import type { NodeId } from '../id.js';
import { channelBinding, LinkHandshake, type HandshakeStep } from './link-auth.js';
import { decodeFrame, encodeFrame } from './frame-codec.js';

const offerSdp = 'v=0\r\na=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n';
const answerSdp = 'v=0\r\na=fingerprint:sha-256 CC:DD\r\na=setup:active\r\n';
const nonce = (fill: number) => new Uint8Array(32).fill(fill);

function sent(step: HandshakeStep) {
  if (step.kind !== 'send') throw new Error(`expected messages, got ${step.kind}`);
  return step.messages;
}

/** Runs both sides over a perfect channel and returns each side's final step. */
function run(a: Identity, b: Identity, options: { expectB?: NodeId | null; bindingA?: Uint8Array } = {}) {
  const binding = channelBinding(offerSdp, answerSdp);
  const sideA = new LinkHandshake(a, options.expectB ?? null, options.bindingA ?? binding, nonce(1));
  const sideB = new LinkHandshake(b, null, binding, nonce(2));
  const [helloA] = sent(sideA.start());
  const [helloB] = sent(sideB.start());
  const [proofB] = sent(sideB.receive(helloA));
  const afterHelloB = sideA.receive(helloB);
  if (afterHelloB.kind === 'failed') return { a: afterHelloB, b: null };
  const [proofA] = sent(afterHelloB);
  return { a: sideA.receive(proofB), b: sideB.receive(proofA) };
}

describe('link handshake', () => {
  const alice = generateIdentity();
  const bob = generateIdentity();

  it('authenticates both sides to the ids behind their keys', () => {
    const { a, b } = run(alice, bob, { expectB: bob.id });
    expect(a).toMatchObject({ kind: 'authenticated', peer: bob.id });
    expect(b).toMatchObject({ kind: 'authenticated', peer: alice.id });
  });

  it('fails when the dialled id is not the key holder', () => {
    const { a } = run(alice, bob, { expectB: generateIdentity().id });
    expect(a).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/expected peer/) });
  });

  it('fails when the two sides saw different DTLS fingerprints (a relay spliced itself in)', () => {
    const spliced = channelBinding(offerSdp.replace('AA:BB', 'EE:FF'), answerSdp);
    const { a, b } = run(alice, bob, { bindingA: spliced });
    expect(a).toMatchObject({ kind: 'failed', reason: 'bad signature' });
    expect(b).toMatchObject({ kind: 'failed', reason: 'bad signature' });
  });

  it('checks the PROOF against the key from the HELLO, not just any valid signature', () => {
    const binding = channelBinding(offerSdp, answerSdp);
    const side = new LinkHandshake(alice, null, binding, nonce(1));
    const [hello] = sent(side.start());
    const other = new LinkHandshake(bob, null, binding, nonce(1));
    other.start();
    const [proofByBob] = sent(other.receive(hello));
    // An attacker presents Alice's key but replays a proof Bob made.
    const mirror = new LinkHandshake(generateIdentity(), null, binding, nonce(3));
    expect(mirror.receive({ auth: 'hello', key: (hello as { key: string }).key, nonce: '01'.repeat(32) }).kind).toBe('send');
    expect(mirror.receive(proofByBob)).toMatchObject({ kind: 'failed', reason: 'bad signature' });
  });

  it('fails on malformed messages and on anything after the handshake', () => {
    const side = () => new LinkHandshake(alice, null, channelBinding(offerSdp, answerSdp), nonce(1));
    expect(side().receive({ auth: 'hello', key: 'zz', nonce: '00' }).kind).toBe('failed');
    expect(side().receive({ auth: 'proof', sig: '00'.repeat(64) }).kind).toBe('failed');
    expect(side().receive(null).kind).toBe('failed');
    const { a } = run(alice, bob);
    expect(a.kind).toBe('authenticated');
  });

  it('refuses a peer presenting our own key', () => {
    const side = new LinkHandshake(alice, null, channelBinding(offerSdp, answerSdp), nonce(1));
    const [hello] = sent(side.start());
    expect(side.receive(hello)).toMatchObject({ kind: 'failed', reason: 'peer presented our own key' });
  });
});

describe('frame codec', () => {
  it('round-trips JSON frames and enforces the byte cap in UTF-8, not UTF-16 units', () => {
    const encoded = encodeFrame({ text: 'ö'.repeat(10) });
    expect(encoded.ok && decodeFrame(encoded.text)).toEqual({ ok: true, frame: { text: 'ö'.repeat(10) } });
    expect(encodeFrame({ text: 'ö'.repeat(40) }, 64)).toEqual({ ok: false, reason: 'oversized' });
    expect(encodeFrame({ text: 'o'.repeat(40) }, 64).ok).toBe(true);
    expect(decodeFrame('"' + '€'.repeat(30) + '"', 64)).toEqual({ ok: false, reason: 'oversized' });
  });

  it('reports malformed input as a value', () => {
    expect(decodeFrame('{')).toEqual({ ok: false, reason: 'malformed' });
    expect(decodeFrame(new Uint8Array([0xc3]))).toEqual({ ok: false, reason: 'malformed' });
    expect(decodeFrame(42)).toEqual({ ok: false, reason: 'malformed' });
    expect(decodeFrame(new TextEncoder().encode('[1]'))).toEqual({ ok: true, frame: [1] });
    expect(encodeFrame(undefined)).toEqual({ ok: false, reason: 'unserialisable' });
  });
});
