import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../overlay/identity.js';
import { SeededRandom } from '../sim/seeded-random.js';
import { buddyNotice, notOnline, presence, receipt } from './messages.js';
import { decodeImMessage } from './wire.js';

const random = new SeededRandom('wire-test');
const alice = generateIdentity(random);
const bob = generateIdentity(random);
const chat = {
  t: 'im.chat', from: alice.id, to: bob.id, seq: 1, epoch: '12'.repeat(16), nonce: 'ab'.repeat(12), ct: 'cd'.repeat(40), sig: 'ef'.repeat(64),
};

describe('IM wire validators', () => {
  it('accept every well-formed IM message', () => {
    for (const message of [
      chat,
      receipt(bob, alice.id, '12'.repeat(16), 3),
      notOnline(bob.id),
      presence(alice, bob.id, 'alive', '00'.repeat(8), 5, '34'.repeat(8)),
      buddyNotice(alice, 'request', bob.id, 'Alice', '56'.repeat(8), 1000),
      { t: 'im.noticeTaken' },
    ]) {
      expect(decodeImMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
    }
  });

  it('drop malformed input without throwing', () => {
    const bad: unknown[] = [
      undefined, null, 42, 'im.chat', [], {},
      { ...chat, t: 'im.unknown' },
      { ...chat, extra: 1 },
      { ...chat, seq: 0 },
      { ...chat, seq: 1.5 },
      { ...chat, seq: '1' },
      { ...chat, from: 'A'.repeat(32) },
      { ...chat, to: alice.id.slice(1) },
      { ...chat, nonce: 'ab' },
      { ...chat, ct: 'abc' },
      { ...chat, ct: 'ab'.repeat(20_000) },
      { ...chat, sig: undefined },
      { ...chat, epoch: undefined },
      { ...chat, epoch: '12'.repeat(8) },
      { ...receipt(bob, alice.id, '12'.repeat(16), 3), epoch: 'xy'.repeat(16) },
      { ...presence(alice, bob.id, 'alive', '00'.repeat(8), 5, '34'.repeat(8)), echo: undefined },
      { ...buddyNotice(alice, 'request', bob.id, 'Alice', '56'.repeat(8), 1), epoch: '56'.repeat(16) },
      { t: 'im.presence', from: alice.id, to: bob.id, state: 'away', session: '00'.repeat(8), tick: 1, echo: '00'.repeat(8), sig: 'ef'.repeat(64) },
      { ...buddyNotice(alice, 'request', bob.id, 'Alice', '56'.repeat(8), 1), name: 'x'.repeat(1000) },
      { ...buddyNotice(alice, 'request', bob.id, 'Alice', '56'.repeat(8), 1), kind: 'befriend' },
    ];
    for (const body of bad) expect(decodeImMessage(body)).toBeUndefined();
  });
});
