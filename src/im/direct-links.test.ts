import { describe, expect, it } from 'vitest';
import type { NodeId } from '../overlay/id.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { DirectLinks, type DirectLinkHost } from './direct-links.js';
import { ImStats } from './stats.js';

const bob = 'b0'.repeat(16) as NodeId;
const config = { directIdleMs: 60_000, directRetryMs: 30_000 };

/** An overlay endpoint whose links come up (or not) when the test says, and can break. */
function overlay() {
  const calls: string[] = [];
  const state = { linkUp: true, dialResult: true };
  let finishDial: (() => void) | undefined;
  const host: DirectLinkHost = {
    openDirect: (to) => {
      calls.push(`open ${to.slice(0, 2)}`);
      return new Promise((resolve) => (finishDial = () => resolve(state.dialResult)));
    },
    closeDirect: (to) => void calls.push(`close ${to.slice(0, 2)}`),
    sendDirect: () => state.linkUp,
  };
  return { host, calls, state, dial: () => finishDial?.() };
}

function links(eligible = () => true) {
  const clock = new VirtualClock();
  const o = overlay();
  const stats = new ImStats();
  return { clock, stats, ...o, direct: new DirectLinks(o.host, clock, config, eligible, stats) };
}

describe('direct links for active chats', () => {
  it('routes (send answers false) until the link is up, then sends over it', async () => {
    const { direct, dial, calls } = links();
    direct.active(bob);
    direct.active(bob); // one dial per buddy
    expect(direct.send(bob, {})).toBe(false);
    dial();
    await Promise.resolve();
    expect(direct.send(bob, {})).toBe(true);
    expect(direct.openPeers()).toEqual([bob]);
    expect(calls).toEqual(['open b0']);
  });

  it('lets the link go once the chat is quiet for the idle period, not before', async () => {
    const { direct, dial, calls, clock } = links();
    direct.active(bob);
    dial();
    await clock.advance(config.directIdleMs - 1_000);
    direct.active(bob);
    await clock.advance(config.directIdleMs - 1_000);
    direct.tick();
    expect(direct.isOpen(bob)).toBe(true);
    await clock.advance(1_000);
    direct.tick();
    expect(direct.isOpen(bob)).toBe(false);
    expect(calls).toEqual(['open b0', 'close b0']);
  });

  it('a link that breaks is given up at once (the caller routes) and dialled again with the next message', async () => {
    const { direct, dial, calls, state, stats } = links();
    direct.active(bob);
    dial();
    await Promise.resolve();
    state.linkUp = false;
    expect(direct.send(bob, {})).toBe(false);
    expect(stats.get('direct link closed: lost')).toBe(1);
    direct.active(bob);
    expect(calls).toEqual(['open b0', 'close b0', 'open b0']);
  });

  it('after a failed dial, waits directRetryMs before dialling that buddy again', async () => {
    const { direct, dial, calls, state, clock } = links();
    state.dialResult = false;
    direct.active(bob);
    dial();
    await Promise.resolve();
    direct.active(bob);
    await clock.advance(config.directRetryMs);
    direct.active(bob);
    expect(calls).toEqual(['open b0', 'close b0', 'open b0']);
  });

  it('never dials a buddy that is not eligible (offline, not accepted), and drops the link of one that stops being', async () => {
    let eligible = false;
    const { direct, dial, calls } = links(() => eligible);
    direct.active(bob);
    expect(calls).toEqual([]);
    eligible = true;
    direct.active(bob);
    dial();
    await Promise.resolve();
    eligible = false;
    direct.tick();
    expect(direct.openPeers()).toEqual([]);
    expect(calls).toEqual(['open b0', 'close b0']);
  });

  it('switched off, lets every link go and dials none', async () => {
    const { direct, dial, calls } = links();
    direct.active(bob);
    dial();
    await Promise.resolve();
    direct.setEnabled(false);
    direct.active(bob);
    expect(direct.send(bob, {})).toBe(false);
    expect(calls).toEqual(['open b0', 'close b0']);
  });
});
