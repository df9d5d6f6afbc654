// Book-keeping of the peer connections a (simulated) page constructs, as Chromium counts them: a
// connection counts against the page's limit from its construction until the garbage collector frees
// it, which for a closed one happens only at the page's next GC. The simulated transport uses this to
// make a simulated tab suffer what a real one would: refusals once too many are held.

import { PeerConnectionLimit, type Clock, type PeerConnectionCounts } from '../environment.js';

/** When the page's next garbage collection runs, as a delay from now (ms). */
export type GcSchedule = () => number;

export class PeerConnectionLedger {
  private readonly tally: PeerConnectionCounts;
  /** Close times of connections the collector has not freed yet (ascending: time only moves on). */
  private readonly awaitingGc: number[] = [];
  private nextGcAt: number;

  constructor(
    private readonly clock: Clock,
    limit: number,
    private readonly nextGcDelay: GcSchedule,
  ) {
    this.tally = { constructed: 0, closed: 0, held: 0, refused: 0, limit };
    this.nextGcAt = clock.now() + nextGcDelay();
  }

  /** The counts as of now (collections that have happened since the last look are applied first). */
  get counts(): PeerConnectionCounts {
    this.collect();
    return this.tally;
  }

  /** One construction; throws PeerConnectionLimit (and counts it) when the page holds too many. */
  construct(): void {
    this.collect();
    if (this.tally.held >= this.tally.limit) {
      this.tally.refused++;
      throw new PeerConnectionLimit(this.tally.held);
    }
    this.tally.constructed++;
    this.tally.held++;
  }

  /** A constructed connection is closed: it stays held until the next collection. */
  close(): void {
    this.collect();
    this.tally.closed++;
    this.awaitingGc.push(this.clock.now());
  }

  /** Applies every collection due by now: each frees the connections closed before it ran. */
  private collect(): void {
    const now = this.clock.now();
    while (this.nextGcAt <= now) {
      let freed = 0;
      while (freed < this.awaitingGc.length && this.awaitingGc[freed] <= this.nextGcAt) freed++;
      if (freed > 0) {
        this.awaitingGc.splice(0, freed);
        this.tally.held -= freed;
      }
      this.nextGcAt += Math.max(1, this.nextGcDelay());
    }
  }
}
