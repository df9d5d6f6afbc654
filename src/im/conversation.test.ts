import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../sim/seeded-random.js';
import { Conversation, ConversationBook } from './conversation.js';
import { freshCounters, memoryStorage } from './storage.js';
import type { NodeId } from '../overlay/id.js';

const peer = 'ab'.repeat(16) as NodeId;
const EPOCH = '12'.repeat(16);

/** Every seq 1..n, shuffled, with some sent two or three times. */
function messyArrivals(n: number, random: SeededRandom): number[] {
  const arrivals: number[] = [];
  for (let seq = 1; seq <= n; seq++) {
    arrivals.push(seq);
    if (random.next() < 0.3) arrivals.push(seq);
    if (random.next() < 0.1) arrivals.push(seq);
  }
  for (let i = arrivals.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [arrivals[i], arrivals[j]] = [arrivals[j], arrivals[i]];
  }
  return arrivals;
}

describe('conversation sequence numbers', () => {
  it('show messages in order and exactly once under reordering and duplication', () => {
    const random = new SeededRandom('reorder');
    for (let run = 0; run < 20; run++) {
      const conversation = new Conversation<string>(freshCounters(EPOCH), 1_000);
      const shown: number[] = [];
      for (const seq of messyArrivals(100, random)) {
        const outcome = conversation.receive(seq, `m${seq}`);
        if (outcome.kind === 'accepted') for (const r of outcome.ready) shown.push(r.seq);
      }
      expect(shown).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(conversation.cumulativeAck).toBe(100);
    }
  });

  it('acknowledge cumulatively: a gap holds the ack back', () => {
    const conversation = new Conversation<string>(freshCounters(EPOCH), 10);
    conversation.receive(1, 'a');
    conversation.receive(3, 'c');
    expect(conversation.cumulativeAck).toBe(1);
    expect(conversation.receive(3, 'c')).toEqual({ kind: 'duplicate' });
    expect(conversation.receive(2, 'b')).toEqual({ kind: 'accepted', ready: [{ seq: 2, item: 'b' }, { seq: 3, item: 'c' }] });
    expect(conversation.cumulativeAck).toBe(3);
  });

  it('drop messages beyond the reorder window unacknowledged', () => {
    const conversation = new Conversation<string>(freshCounters(EPOCH), 4);
    expect(conversation.receive(6, 'far')).toEqual({ kind: 'beyond-window' });
    expect(conversation.isDuplicate(6)).toBe(false);
  });

  it('ignore receipts that go backwards or acknowledge seqs never sent', () => {
    const conversation = new Conversation<string>({ epoch: EPOCH, nextSendSeq: 6, delivered: 0, acked: 2 }, 4);
    expect(conversation.acknowledge(1)).toBe(false);
    expect(conversation.acknowledge(9)).toBe(false);
    expect(conversation.acknowledge(5)).toBe(true);
    expect(conversation.peerAcked).toBe(5);
  });

  it('continue after a restart of either side from the stored counters', async () => {
    const storage = memoryStorage();
    const before = new ConversationBook<string>(storage, 10);
    await before.with(peer, EPOCH, (c) => {
      c.receive(1, 'a');
      c.receive(2, 'b');
      c.commitSend(c.peekSendSeq());
    });
    const after = new ConversationBook<string>(storage, 10);
    await after.with(peer, EPOCH, (c) => {
      expect(c.receive(2, 'b')).toEqual({ kind: 'duplicate' });
      expect(c.peekSendSeq()).toBe(2);
    });
  });

  it('start afresh in a new epoch: the counters of an older conversation are not carried over, on reload either', async () => {
    const storage = memoryStorage();
    const book = new ConversationBook<string>(storage, 10);
    await book.with(peer, EPOCH, (c) => void c.receive(1, 'a'));
    const next = '34'.repeat(16);
    await book.with(peer, next, (c) => {
      expect(c.receive(1, 'b')).toEqual({ kind: 'accepted', ready: [{ seq: 1, item: 'b' }] });
      c.receive(2, 'c');
    });
    expect(await storage.getCounters(peer)).toEqual({ epoch: next, nextSendSeq: 1, delivered: 2, acked: 0 });
    await new ConversationBook<string>(storage, 10).with(peer, EPOCH, (c) => expect(c.cumulativeAck).toBe(0));
  });

  it('serialise concurrent work on one conversation', async () => {
    const book = new ConversationBook<string>(memoryStorage(), 10);
    const order: string[] = [];
    await Promise.all([
      book.with(peer, EPOCH, async () => {
        order.push('first start');
        await new Promise((r) => setTimeout(r, 5));
        order.push('first end');
      }),
      book.with(peer, EPOCH, () => void order.push('second')),
    ]);
    expect(order).toEqual(['first start', 'first end', 'second']);
  });

  it('restored from a backup, takes no ack until confirmed, then skips what the buddy holds acknowledged and shows the buffer after it', () => {
    const conversation = new Conversation<string>({ epoch: EPOCH, nextSendSeq: 3, delivered: 1, acked: 2, fromBackup: 3 }, 256);
    expect(conversation.acknowledge(2)).toBe(false);
    conversation.commitSend(3);
    expect(conversation.acknowledge(3)).toBe(false);
    expect(conversation.needsResync(3)).toBe(true);
    expect(conversation.receive(7, 'seven')).toEqual({ kind: 'accepted', ready: [] });
    expect(conversation.receive(5, 'five')).toEqual({ kind: 'accepted', ready: [] });
    expect(conversation.skipShownTo(5)).toEqual([]);
    expect(conversation.receive(6, 'six')).toEqual({ kind: 'accepted', ready: [{ seq: 6, item: 'six' }, { seq: 7, item: 'seven' }] });
    conversation.rebaseSend(9, 12);
    conversation.confirm();
    expect(conversation.counters()).toEqual({ epoch: EPOCH, nextSendSeq: 12, delivered: 7, acked: 9 });
    expect(conversation.acknowledge(11)).toBe(true);
  });

  it('skips any distance at the cost of its buffer, never of the jump', () => {
    const conversation = new Conversation<string>(freshCounters(EPOCH), 256);
    conversation.receive(3, 'three');
    expect(conversation.skipShownTo(Number.MAX_SAFE_INTEGER - 1)).toEqual([]);
    expect(conversation.isDuplicate(3)).toBe(true);
    expect(conversation.receive(Number.MAX_SAFE_INTEGER, 'last')).toEqual({ kind: 'accepted', ready: [{ seq: Number.MAX_SAFE_INTEGER, item: 'last' }] });
  });
});
