// What one node keeps for offline recipients: one receipt per conversation direction, quotas in
// bytes as well as items, expiry.

import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../overlay/identity.js';
import { SeededRandom } from '../sim/seeded-random.js';
import { DEFAULT_MAILBOX_CONFIG } from './config.js';
import { bytesToHex } from './crypto.js';
import { MailStore } from './mail-store.js';
import { mailDigest, receipt } from './messages.js';
import type { MailItem } from './wire.js';

const bob = generateIdentity(new SeededRandom('bob'));
const alice = generateIdentity(new SeededRandom('alice'));
const EPOCH = 'cd'.repeat(16);
const receiptItem = (ack: number, epoch = EPOCH): MailItem => ({ body: receipt(bob, alice.id, epoch, ack), publicKey: bytesToHex(bob.publicKey) });
const put = (store: MailStore, item: MailItem, now = 0) => store.put(item, mailDigest(item), now);

describe('MailStore', () => {
  it('keeps one receipt per conversation direction: the one acknowledging most', () => {
    const store = new MailStore(DEFAULT_MAILBOX_CONFIG);
    expect(put(store, receiptItem(2))).toBe('stored');
    expect(put(store, receiptItem(1))).toBe('stale receipt');
    expect(put(store, receiptItem(2))).toBe('known');
    expect(put(store, receiptItem(3))).toBe('stored');
    expect(store.usage().items).toBe(1);
    expect(store.has(mailDigest(receiptItem(2)))).toBe(false);
    // Another conversation (epoch) is another slot.
    expect(put(store, receiptItem(1, 'ef'.repeat(16)))).toBe('stored');
    expect(store.forRecipient(alice.id)).toHaveLength(2);
  });

  it('bounds bytes as well as items, and frees the room when an item goes', () => {
    const size = JSON.stringify(receiptItem(1)).length;
    const store = new MailStore({ ...DEFAULT_MAILBOX_CONFIG, perRecipientBytes: 2 * size + 1 });
    expect(put(store, receiptItem(1, 'a1'.repeat(16)))).toBe('stored');
    expect(put(store, receiptItem(1, 'a2'.repeat(16)))).toBe('stored');
    expect(put(store, receiptItem(1, 'a3'.repeat(16)))).toBe('recipient over quota');
    expect(store.remove(mailDigest(receiptItem(1, 'a1'.repeat(16))))).toBe(true);
    expect(put(store, receiptItem(1, 'a3'.repeat(16)))).toBe('stored');
    expect(store.highWater).toEqual({ items: 2, bytes: store.usage().bytes });
  });

  it('lets items lapse ttlMs after they were taken', () => {
    const store = new MailStore({ ...DEFAULT_MAILBOX_CONFIG, ttlMs: 1_000 });
    put(store, receiptItem(1), 0);
    put(store, receiptItem(1, 'b1'.repeat(16)), 500);
    expect(store.expire(999)).toBe(0);
    expect(store.expire(1_000)).toBe(1);
    expect(store.expire(1_500)).toBe(1);
    expect(store.usage()).toEqual({ items: 0, bytes: 0 });
    expect(store.recipients()).toEqual([]);
  });
});
