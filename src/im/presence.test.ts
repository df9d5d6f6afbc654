import { describe, expect, it } from 'vitest';
import type { NodeId } from '../overlay/id.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { DEFAULT_IM_CONFIG } from './config.js';
import { PresenceTable } from './presence.js';

const bob = 'b0'.repeat(16) as NodeId;

function table() {
  const clock = new VirtualClock();
  const changes: [NodeId, boolean, number][] = [];
  const presence = new PresenceTable(clock, DEFAULT_IM_CONFIG, (uid, online) => changes.push([uid, online, clock.now()]));
  // What the messenger's one timer does.
  const tick = () => {
    presence.expire();
    clock.setTimer(DEFAULT_IM_CONFIG.presenceCheckMs, tick);
  };
  clock.setTimer(DEFAULT_IM_CONFIG.presenceCheckMs, tick);
  return { clock, presence, changes };
}

describe('buddy presence (soft state)', () => {
  it('shows a failed buddy offline within 10 s of its last keep-alive', async () => {
    const { clock, presence, changes } = table();
    presence.presence(bob, 'online', 's1', 1);
    await clock.advance(2_000);
    presence.presence(bob, 'alive', 's1', 2); // last word, then the tab dies
    const failedAt = clock.now();
    await clock.advance(20_000);
    expect(changes.map(([, online]) => online)).toEqual([true, false]);
    expect(changes[1][2] - failedAt).toBeLessThanOrEqual(10_000);
  });

  it('keeps a buddy online while keep-alives arrive every keepAliveMs', async () => {
    const { clock, presence, changes } = table();
    for (let i = 1; i <= 20; i++) {
      presence.presence(bob, 'alive', 's1', i);
      await clock.advance(DEFAULT_IM_CONFIG.keepAliveMs);
    }
    expect(changes.map(([, online]) => online)).toEqual([true]);
  });

  it('asks only online buddies that have been quiet for keepAliveMs', async () => {
    const { clock, presence } = table();
    presence.presence(bob, 'online', 's1', 1);
    expect(presence.needKeepAlive()).toEqual([]);
    await clock.advance(DEFAULT_IM_CONFIG.keepAliveMs);
    expect(presence.needKeepAlive()).toEqual([bob]);
  });

  it('goes offline at once on a graceful "offline"', () => {
    const { presence } = table();
    presence.presence(bob, 'online', 's1', 1);
    presence.presence(bob, 'offline', 's1', 2);
    expect(presence.isOnline(bob)).toBe(false);
  });

  it('takes "not online" as a hint only: the buddy stays online, and is asked early at most once per keepAliveMs', async () => {
    const { clock, presence } = table();
    expect(presence.notOnlineHint(bob)).toBe(false);
    presence.presence(bob, 'online', 's1', 1);
    expect(presence.notOnlineHint(bob)).toBe(true);
    expect(presence.notOnlineHint(bob)).toBe(false);
    expect(presence.isOnline(bob)).toBe(true);
    await clock.advance(DEFAULT_IM_CONFIG.keepAliveMs);
    expect(presence.notOnlineHint(bob)).toBe(true);
  });

  it('ignores a replayed keep-alive of the same session', () => {
    const { presence } = table();
    presence.presence(bob, 'online', 's1', 5);
    presence.presence(bob, 'offline', 's1', 6);
    expect(presence.presence(bob, 'alive', 's1', 5)).toBe('replay');
    expect(presence.isOnline(bob)).toBe(false);
  });

  it('ignores any presence of an earlier session once a newer one was heard', () => {
    const { presence } = table();
    expect(presence.presence(bob, 'online', 's1', 5)).toBe('new session');
    expect(presence.presence(bob, 'online', 's2', 1)).toBe('new session');
    expect(presence.presence(bob, 'alive', 's1', 99)).toBe('replay');
    expect(presence.presence(bob, 'alive', 's2', 2)).toBe('news');
  });
});
