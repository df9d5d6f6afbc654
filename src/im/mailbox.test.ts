// The storing role of mail for the offline (mailbox.ts) on a fake ring with exact leaf sets: where
// mail is kept, what is refused, quotas, who may delete it, handover and expiry.

import { describe, expect, it } from 'vitest';
import type { OverlayEndpoint } from '../overlay/api.js';
import { closestTo, type NodeId } from '../overlay/id.js';
import { generateIdentity, type Identity } from '../overlay/identity.js';
import { FakeRing } from '../scan/testing/fake-ring.js';
import { SeededRandom } from '../sim/seeded-random.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { DEFAULT_MAILBOX_CONFIG, type MailboxConfig } from './config.js';
import { bytesToHex, deriveConversationKey, sealChat } from './crypto.js';
import { Mailbox } from './mailbox.js';
import { chatMessage, mailAck, mailDigest } from './messages.js';
import { ImRelay } from './relay.js';
import { decodeImMessage, type ChatMessage, type MailItem } from './wire.js';

const EPOCH = 'ab'.repeat(16);

function setup(config: Partial<MailboxConfig> = {}, nodes = 12) {
  const clock = new VirtualClock();
  const random = new SeededRandom('mailbox');
  const ring = new FakeRing(clock);
  const relays = new Map<NodeId, ImRelay>();
  const add = (id: NodeId) => {
    const connect = ring.join(id);
    relays.set(id, new ImRelay({ register: (_name, app) => connect(app) }, clock, config));
  };
  for (let i = 0; i < nodes; i++) add(generateIdentity(random.fork(`node ${i}`)).id);
  const alice = generateIdentity(random.fork('alice'));
  const bob = generateIdentity(random.fork('bob'));
  // Alice posts from a node of her own (its IM application is a bare endpoint).
  const aliceEndpoint: OverlayEndpoint = ring.join(alice.id)({ deliver: () => undefined });
  const item = async (from: Identity, to: NodeId, seq: number, text = `hello ${seq}`): Promise<MailItem & { body: ChatMessage }> => {
    const key = await deriveConversationKey(from, bytesToHex(bob.publicKey));
    const sealed = await sealChat(from, key, to, seq, { text, sentAt: clock.now() }, random.fork(`seal ${seq}`), EPOCH);
    return { body: chatMessage(sealed), publicKey: bytesToHex(from.publicKey) };
  };
  const post = (body: MailItem, key: NodeId = body.body.to) => aliceEndpoint.route(key, { t: 'mail.put', item: body });
  const holding = (digest: string) => [...relays].filter(([, r]) => r.mailbox.store.has(digest)).map(([id]) => id).sort();
  const count = (label: string) => [...relays.values()].reduce((sum, r) => sum + (r.stats.snapshot()[label] ?? 0), 0);
  const closest = (key: NodeId, n: number, ids: NodeId[] = [...relays.keys()]) => {
    const out: NodeId[] = [];
    while (out.length < n) out.push(closestTo(key, ids.filter((id) => !out.includes(id)))!);
    return out.sort();
  };
  return { clock, ring, relays, alice, bob, item, post, holding, count, closest, add, settle: (ms = 500) => clock.advance(ms) };
}

describe('the mailbox (storing role)', () => {
  it('keeps an offline uid\'s mail on the nodes numerically closest to it, and nowhere else', async () => {
    const t = setup();
    const mail = await t.item(t.alice, t.bob.id, 1);
    t.post(mail);
    await t.settle();
    expect(t.holding(mailDigest(mail))).toEqual(t.closest(t.bob.id, DEFAULT_MAILBOX_CONFIG.holders));
    expect(t.count('mail stored')).toBe(DEFAULT_MAILBOX_CONFIG.holders);
  });

  it('drops mail routed to another key, with a forged signature, or signed by a key that is not the sender\'s', async () => {
    const t = setup();
    const mail = await t.item(t.alice, t.bob.id, 1);
    t.post(mail, generateIdentity(new SeededRandom('elsewhere')).id);
    t.post({ ...mail, body: { ...mail.body, ct: mail.body.ct.replace(/^../, '00') } });
    const mallory = generateIdentity(new SeededRandom('mallory'));
    t.post({ ...mail, publicKey: bytesToHex(mallory.publicKey) });
    await t.settle();
    expect(t.count('mail rejected: wrong key')).toBe(1);
    expect(t.count('mail rejected: bad signature')).toBe(2);
    expect(t.count('mail stored')).toBe(0);
  });

  it('bounds what one sender and one recipient can make a node keep: the rest is dropped and counted', async () => {
    const t = setup({ perSenderItems: 3, perRecipientItems: 5 });
    for (let seq = 1; seq <= 4; seq++) t.post(await t.item(t.alice, t.bob.id, seq));
    // Other senders fill up Bob's quota.
    for (let i = 0; i < 3; i++) t.post(await t.item(generateIdentity(new SeededRandom(`sender ${i}`)), t.bob.id, 1));
    await t.settle();
    const root = t.relays.get(t.ring.rootOf(t.bob.id))!;
    expect(root.mailbox.store.usage().items).toBe(5);
    expect(root.stats.snapshot()['mail sender over quota']).toBe(1);
    expect(root.stats.snapshot()['mail recipient over quota']).toBe(1);
  });

  it('takes a copy only from a node among the key\'s holders', async () => {
    const t = setup();
    const mail = await t.item(t.alice, t.bob.id, 1);
    // A node farther from Bob's key than the holders + slack (as the ring is): its copy is refused.
    const slack = DEFAULT_MAILBOX_CONFIG.holders + DEFAULT_MAILBOX_CONFIG.holderSlack;
    let n = 0;
    let strangerId = generateIdentity(new SeededRandom('far 0')).id;
    while (t.closest(t.bob.id, slack, [...t.ring.ids(), strangerId]).includes(strangerId)) strangerId = generateIdentity(new SeededRandom(`far ${++n}`)).id;
    const stranger = t.ring.join(strangerId)({ deliver: () => undefined });
    const holder = t.closest(t.bob.id, 1)[0];
    expect(stranger.sendDirect(holder, { t: 'mail.copies', items: [mail] })).toBe(true);
    await t.settle();
    expect(t.count('mail copy rejected: not entitled')).toBe(1);
    expect(t.holding(mailDigest(mail))).toEqual([]);
  });

  it('deletes mail only on the recipient\'s signed acknowledgement, then at every holder', async () => {
    const t = setup();
    const mail = await t.item(t.alice, t.bob.id, 1);
    const digest = mailDigest(mail);
    t.post(mail);
    await t.settle();
    const holder = t.holding(digest)[0];
    // A stranger's ack (signed, but by Mallory for Bob's uid) and Alice's own ack delete nothing.
    const mallory = generateIdentity(new SeededRandom('mallory'));
    const forged = { ...mailAck(mallory, [digest]), owner: t.bob.id };
    const leafEndpoint = t.ring.join(generateIdentity(new SeededRandom('leaf-sender')).id)({ deliver: () => undefined });
    leafEndpoint.sendDirect(holder, forged);
    leafEndpoint.sendDirect(holder, mailAck(t.alice, [digest]));
    await t.settle();
    expect(t.count('mail ack rejected')).toBe(1);
    expect(t.holding(digest)).toHaveLength(DEFAULT_MAILBOX_CONFIG.holders);
    // Bob's own: deleted at the holder it reached and, passed on, at the others.
    leafEndpoint.sendDirect(holder, mailAck(t.bob, [digest]));
    await t.settle();
    expect(t.holding(digest)).toEqual([]);
    expect(t.count('mail deleted by ack')).toBe(DEFAULT_MAILBOX_CONFIG.holders);
  });

  it('hands the recipient its mail when it joins, again until it acknowledges, and lets it lapse after the TTL', async () => {
    const t = setup({ ttlMs: 60_000, handoverRetryMs: 10_000, tickMs: 1_000 });
    const first = await t.item(t.alice, t.bob.id, 1);
    const second = await t.item(t.alice, t.bob.id, 2);
    t.post(first);
    t.post(second);
    await t.settle();
    const handed: { seqs: number[]; holder: NodeId }[] = [];
    const connect = t.ring.join(t.bob.id);
    let bobMailbox!: Mailbox;
    const endpoint = connect({ deliver: (msg) => void bobMailbox.handle(msg, decodeImMessage(msg.body)!), update: (n, j) => bobMailbox.update(n, j) });
    bobMailbox = new Mailbox({
      endpoint, clock: t.clock, config: DEFAULT_MAILBOX_CONFIG, stats: t.relays.values().next().value!.stats,
      owner: (items, holder) => handed.push({ seqs: items.map((i) => (i.body.t === 'im.chat' ? i.body.seq : 0)), holder }),
    });
    await t.settle();
    // Every holder hands both over, in seq order.
    expect(handed.length).toBe(DEFAULT_MAILBOX_CONFIG.holders);
    expect(handed.every((h) => h.seqs.join() === '1,2')).toBe(true);
    // Not acknowledged: handed over again after handoverRetryMs.
    await t.settle(11_000);
    expect(handed.length).toBe(2 * DEFAULT_MAILBOX_CONFIG.holders);
    // Unacknowledged mail lapses after its TTL.
    await t.settle(60_000);
    expect(t.holding(mailDigest(first))).toEqual([]);
    expect(t.count('mail expired')).toBe(2 * DEFAULT_MAILBOX_CONFIG.holders);
  });
});
