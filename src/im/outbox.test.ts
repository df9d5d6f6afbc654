import { describe, expect, it } from 'vitest';
import type { NodeId } from '../overlay/id.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { Outbox } from './outbox.js';
import { memoryStorage, type OutboxEntry } from './storage.js';

const bob = 'b0'.repeat(16) as NodeId;
const entry = (seq: number): OutboxEntry => ({
  peer: bob, seq, createdAt: 0,
  message: { t: 'im.chat', from: 'a0'.repeat(16) as NodeId, to: bob, seq, epoch: '0'.repeat(32), nonce: '00'.repeat(12), ct: 'ff'.repeat(20), sig: '11'.repeat(64) },
});

describe('outbox', () => {
  it('keeps messages across a reload until a receipt covers them', async () => {
    const storage = memoryStorage();
    const clock = new VirtualClock();
    const before = new Outbox(storage, clock, 5_000);
    for (const seq of [1, 2, 3]) await before.add(entry(seq));
    const after = new Outbox(storage, clock, 5_000);
    expect((await after.load()).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await after.acknowledge(bob, 2)).toEqual([1, 2]);
    expect(after.pending(bob).map((e) => e.seq)).toEqual([3]);
    expect((await storage.listOutbox()).map((e) => e.seq)).toEqual([3]);
  });

  it('resends an unacknowledged message only after resendMs, everything when asked', async () => {
    const clock = new VirtualClock();
    const outbox = new Outbox(memoryStorage(), clock, 5_000);
    await outbox.add(entry(1));
    expect(outbox.takeDue(bob, false).map((e) => e.seq)).toEqual([1]);
    await outbox.add(entry(2));
    expect(outbox.takeDue(bob, false).map((e) => e.seq)).toEqual([2]);
    await clock.advance(4_999);
    expect(outbox.takeDue(bob, false)).toEqual([]);
    expect(outbox.takeDue(bob, true).map((e) => e.seq)).toEqual([1, 2]);
    await clock.advance(5_000);
    expect(outbox.takeDue(bob, false).map((e) => e.seq)).toEqual([1, 2]);
  });
});
