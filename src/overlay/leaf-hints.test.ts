import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../sim/virtual-clock.js';
import { resolveConfig } from './config.js';
import type { Link } from './environment.js';
import type { NodeId } from './id.js';
import { LeafHints } from './leaf-hints.js';
import { LeafSet } from './leaf-set.js';
import type { OverlayFrame } from './messages.js';
import { PeerLinks } from './peer-links.js';
import { OverlayStats } from './stats.js';
import { hexId } from './testing/ids.js';

/** Us at 50 with |L| = 2, leaves 40 and 60, each linked; what we send is recorded. */
function world() {
  const id = hexId('50');
  const clock = new VirtualClock();
  const config = resolveConfig({ leafSetSize: 2 });
  const leafSet = new LeafSet(id, 2);
  const links = new PeerLinks(id);
  const sent: { to: NodeId; frame: OverlayFrame }[] = [];
  for (const peer of [hexId('40'), hexId('60')]) {
    leafSet.add(peer);
    links.add({ peer, outbound: true, send() {}, close() {} } satisfies Link, 0);
  }
  const stats = new OverlayStats();
  const hints = new LeafHints({ id, config, clock, stats, leafSet, links, send: (to, frame) => sent.push({ to, frame }) > 0 });
  return { id, clock, config, stats, hints, sent };
}

describe('leaf-set hints', () => {
  it('answers a leaf set that lacks a node we know belongs in it with ours, and is silent when nothing is missing', () => {
    const { id, hints, sent, stats } = world();
    // 60 holds 40 as its left neighbour, but we (50) lie between.
    hints.onPeerLeafSet(hexId('60'), [hexId('40'), hexId('70')]);
    expect(sent).toEqual([{ to: hexId('60'), frame: { t: 'nodes', what: 'leafset', ids: [hexId('40'), hexId('60')] } }]);
    // 40 already has the nearest nodes we know on both sides: no hint.
    hints.onPeerLeafSet(hexId('40'), [hexId('30'), id]);
    expect(sent.length).toBe(1);
    expect(stats.leafHints).toEqual({ sent: 1, rateLimited: 0 });
  });

  it('hints a peer whose side is not full, and never a peer we have no link to', () => {
    const { hints, sent } = world();
    hints.onPeerLeafSet(hexId('40'), []);
    expect(sent.map((s) => s.to)).toEqual([hexId('40')]);
    hints.onPeerLeafSet(hexId('45'), [hexId('30')]);
    hints.hint(hexId('45'));
    expect(sent.length).toBe(1);
  });

  it('sends one hint per link per keep-alive period, however often the peer gossips', async () => {
    const { clock, config, hints, sent, stats } = world();
    for (let i = 0; i < 1_000; i++) hints.onPeerLeafSet(hexId('60'), [hexId('40'), hexId('70')]);
    hints.hint(hexId('60'));
    expect(sent.length).toBe(1);
    expect(stats.leafHints).toEqual({ sent: 1, rateLimited: 1_000 });
    // The other link has its own allowance.
    hints.hint(hexId('40'));
    expect(sent.length).toBe(2);
    await clock.advance(config.keepAliveMs);
    hints.onPeerLeafSet(hexId('60'), [hexId('40'), hexId('70')]);
    expect(sent.length).toBe(3);
  });
});
