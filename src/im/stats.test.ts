import { describe, expect, it } from 'vitest';
import { HOP_BUCKETS, ImStats } from './stats.js';

describe('ImStats', () => {
  it('counts chats by hops in bounded buckets: a hop count a peer made up adds no new label', () => {
    const stats = new ImStats();
    for (const hops of [1, 2, 2, HOP_BUCKETS, 1_000_000, Number.NaN, -3]) stats.chatReceived(hops);
    expect(stats.chatsByHops()).toHaveLength(HOP_BUCKETS + 1);
    expect(stats.snapshot()).toEqual({
      'im.chat received over 0 hops': 1,
      'im.chat received over 1 hops': 1,
      'im.chat received over 2 hops': 2,
      [`im.chat received over ${HOP_BUCKETS}+ hops`]: 3,
    });
  });
});
