import { describe, expect, it } from 'vitest';
import type { Uid } from '../ui/messenger-port.js';
import { ConversationLog } from './conversation-log.js';

const PEER = 'c'.repeat(32) as Uid;

describe('ConversationLog', () => {
  it('merges stored history in time order and follows receipts: queued/sent by presence, then delivered', () => {
    let online = false;
    const log = new ConversationLog(() => online);
    log.load(PEER, [
      { direction: 'out', seq: 2, text: 'second', sentAt: 20, delivered: false },
      { direction: 'in', seq: 1, text: 'hi', sentAt: 5, delivered: true },
      { direction: 'out', seq: 1, text: 'first', sentAt: 10, delivered: true },
    ]);
    expect(log.entries(PEER).map((e) => e.text)).toEqual(['hi', 'first', 'second']);
    const status = () => log.entries(PEER).map((e) => log.status(e));
    expect(status()).toEqual(['delivered', 'delivered', 'queued']);
    online = true;
    expect(status()).toEqual(['delivered', 'delivered', 'sent']);
    expect(log.acknowledge(PEER, 2).map((e) => e.text)).toEqual(['second']);
    expect(log.acknowledge(PEER, 2)).toEqual([]);
    expect(status()).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('a failed entry carries its reason to the port, and loading again adds nothing twice', () => {
    const log = new ConversationLog(() => true);
    log.entries(PEER).push({ id: 'x', peer: PEER, direction: 'out', text: 'long', at: 1, failed: 'Too long' });
    expect(log.toMessage(log.entries(PEER)[0])).toMatchObject({ status: 'failed', error: 'Too long' });
    const history = [{ direction: 'in' as const, seq: 1, text: 'a', sentAt: 2, delivered: true }];
    log.load(PEER, history);
    log.load(PEER, history);
    expect(log.entries(PEER)).toHaveLength(2);
    log.forget(PEER);
    expect(log.has(PEER)).toBe(false);
  });

  it('history loaded while a send is still being stored takes that bubble, oldest first, not a second one', () => {
    const log = new ConversationLog(() => true);
    const sending = (id: string, text: string) => log.entries(PEER).push({ id, peer: PEER, direction: 'out', text, at: 1 });
    sending('local-1', 'same');
    sending('local-2', 'same');
    log.load(PEER, [{ direction: 'out', seq: 7, text: 'same', sentAt: 1, delivered: false }]);
    expect(log.entries(PEER).map((e) => [e.id, e.seq])).toEqual([['local-1', 7], ['local-2', undefined]]);
    log.load(PEER, [{ direction: 'out', seq: 8, text: 'other', sentAt: 2, delivered: false }]);
    expect(log.entries(PEER).map((e) => e.id)).toEqual(['local-1', 'local-2', `${PEER}/out/8`]);
  });

  it('follows a renumbering all at once (a new seq may be another entry\'s old one), so a receipt marks the right ones', () => {
    const log = new ConversationLog(() => true);
    log.load(PEER, [
      { direction: 'out', seq: 2, text: 'x', sentAt: 1, delivered: false },
      { direction: 'out', seq: 3, text: 'y', sentAt: 2, delivered: false },
    ]);
    expect(log.renumber(PEER, [[2, 3], [3, 4]]).map((e) => e.text)).toEqual(['x', 'y']);
    expect(log.entries(PEER).map((e) => [e.text, e.seq])).toEqual([['x', 3], ['y', 4]]);
    // The buddy has shown up to 3: x only (under the old seqs, 2 and 3, both would have been marked).
    expect(log.acknowledge(PEER, 3).map((e) => e.text)).toEqual(['x']);
    expect(log.entries(PEER).map((e) => log.status(e))).toEqual(['delivered', 'sent']);
  });
});
