// Islands: under churn a few nodes can end up in a ring of their own. A newcomer whose introducer
// and root go while it dials keeps only a leaf that is about to crash; the bootstrap then sends the
// next newcomers to it, and they join its island, which nothing ever merges again: every member is
// "joined", linked to the others, and the big ring does not know it (measured: tests/sim/long-tab.test.ts
// found 2-3-node islands within the first hour of a 40-node ring with 3-minute sessions).
//
// A node can tell it may be on one: its leaf set is not full, so the ring it sees has fewer than
// leafSetSize + 1 nodes. Then it meets (ring-merge.ts) whoever a fresh introduction reaches (the
// bootstrap, a seed): of another ring, the two merge; of its own, it costs one lookup. Checks back off
// while nothing new is found (a network that is really that small), and start again after a loss.

import type { OverlayConfig } from './config.js';
import type { Clock, Random, Signaller, TimerHandle } from './environment.js';
import type { NodeId } from './id.js';
import type { NodeState } from './node-core.js';

/** What the watch needs of its node (a PastryNode has it all). */
export interface IslandWatchNode {
  readonly config: Pick<OverlayConfig, 'leafSetSize' | 'islandCheckMs' | 'islandCheckMaxMs'>;
  readonly leafSet: { readonly count: number };
  readonly clock: Clock;
  readonly random: Random;
  readonly state: NodeState;
  readonly stats: { readonly merge: { islandChecks: number } };
  on(event: 'state', listener: (state: NodeState) => void): () => void;
  on(event: 'leafset', listener: (peer: NodeId, joined: boolean) => void): () => void;
  meet(signal: Signaller): Promise<{ merged: boolean }>;
}

export interface IslandWatchOptions {
  /** A fresh introduction from the entry points; undefined when none answers or we would be first. */
  introduce(): Promise<Signaller | undefined>;
}

export interface IslandWatch {
  stop(): void;
}

/** Starts watching `node` (joined or not yet); checks run while it is joined with a leaf set not full. */
export function watchForIslands(node: IslandWatchNode, options: IslandWatchOptions): IslandWatch {
  const { islandCheckMs, islandCheckMaxMs } = node.config;
  let wait = islandCheckMs;
  let timer: TimerHandle | undefined;
  let checking = false;
  let stopped = false;
  const small = () => node.state === 'joined' && node.leafSet.count < node.config.leafSetSize;

  const schedule = () => {
    if (stopped || timer !== undefined || checking || !small()) return;
    const jittered = wait * (0.75 + node.random.next() / 2);
    timer = node.clock.setTimer(jittered, () => {
      timer = undefined;
      void check();
    });
  };
  const check = async () => {
    if (!small()) {
      wait = islandCheckMs; // the ring we see is big enough again
      return;
    }
    checking = true;
    let merged = false;
    try {
      const signal = await options.introduce();
      if (signal && small()) {
        node.stats.merge.islandChecks++;
        merged = (await node.meet(signal)).merged;
      }
    } catch {
      // No entry point answered, the dial failed or the merge budget was spent: try later.
    } finally {
      checking = false;
    }
    wait = merged ? islandCheckMs : Math.min(wait * 4, islandCheckMaxMs);
    schedule();
  };

  const offState = node.on('state', (state) => {
    if (state === 'joined') schedule();
    if (state === 'left') stop();
  });
  const offLeafSet = node.on('leafset', (_peer: NodeId, joined: boolean) => {
    if (joined) return;
    // A loss: look again soon, not after the long backoff.
    wait = Math.min(wait, islandCheckMs * 4);
    if (timer !== undefined) node.clock.clearTimer(timer);
    timer = undefined;
    schedule();
  });
  const stop = () => {
    stopped = true;
    offState();
    offLeafSet();
    if (timer !== undefined) node.clock.clearTimer(timer);
    timer = undefined;
  };
  schedule();
  return { stop };
}
