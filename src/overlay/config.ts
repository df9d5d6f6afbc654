// Protocol constants, named in one place. Defaults are the Pastry paper's (b = 4, |L| = 16) plus the
// timers of our maintenance protocols.

export interface OverlayConfig {
  /** Bits per digit (the paper's b). Must divide 128. */
  bitsPerDigit: number;
  /** Leaf set size |L|: L/2 numerically smaller and L/2 larger neighbours. */
  leafSetSize: number;
  /** Keep-alive period on leaf-set links. Background tabs clamp timers to >= 1 s, so stay above that. */
  keepAliveMs: number;
  /** A leaf that sent nothing for this long is declared failed (closed channels are noticed at once). */
  failureTimeoutMs: number;
  /**
   * Keep-alive period on links that are only routing-table entries (failure after 3x this). Slower
   * than on leaves: a dead table entry costs a detour, a dead leaf costs correctness, and a closed
   * data channel is reported at once anyway.
   */
  tableKeepAliveMs: number;
  /**
   * A next hop whose ping has been unanswered this long is routed around (not yet declared failed).
   * Forwarding over a link that has been quiet for a keep-alive period pings it first, so a crashed
   * table entry on a busy route is avoided within seconds instead of after the failure timeout.
   */
  suspectAfterMs: number;
  /** How often a node gossips its leaf set to its leaves (repairs concurrent joins and failures). */
  leafSetGossipMs: number;
  /**
   * How often a node routes a JOIN-like request toward its own id (from a random table entry) to
   * re-learn its true neighbours. Gossip alone cannot merge two rings that interleave (possible after
   * concurrent joins or a partition): each is consistent in itself. Routing tables cross between them.
   */
  leafSetRefreshMs: number;
  /** How often a node refreshes one routing-table row from a peer (routing-table maintenance, PNS). */
  routingMaintenanceMs: number;
  /** Probes (extra links measured for RTT) a node may have in flight for proximity neighbour selection. */
  proximityProbeBudget: number;
  /** Give up on a signalled link or a routed request after this long. */
  requestTimeoutMs: number;
  /** How long a hop remembers the previous hop of a routed request, for the reply's reverse path. */
  reversePathMs: number;
  /** Upper bound on remembered reverse paths (a flood must not grow memory without bound). */
  reversePathMax: number;
  /** A routed message that has taken this many hops is dropped (guards against loops while repairing). */
  maxHops: number;
  /**
   * Soft cap on open links. Beyond it a node turns away inbound links from nodes that only want it
   * as a routing-table entry (leaf-set links are always accepted). Chromium limits peer connections
   * per page, and without a cap the oldest nodes become everyone's table entry (joiners copy tables).
   */
  maxLinks: number;
  /** How long a node that answered "busy" is skipped as a candidate. */
  busyBackoffMs: number;
  /** A link that neither side needs any more is closed after this grace period. */
  idleLinkGraceMs: number;
  /** Window over which the peer-connection budget counts recent constructions (see connection-budget.ts). */
  budgetWindowMs: number;
  /** Table links are constructed while fewer than this many connections were constructed in the window... */
  budgetTableRecentMax: number;
  /** ... and while less than this share of the page's limit is held. */
  budgetTableHeldShare: number;
  /** The same for proximity probes, which only save milliseconds. */
  budgetProximityRecentMax: number;
  budgetProximityHeldShare: number;
  /**
   * A linked candidate takes an occupied table slot only if its round trip is below this share of
   * the occupant's and at least proximityMinGainMs shorter: every swap costs a connection, and one
   * noisy sample must not cause one.
   */
  proximityGainShare: number;
  proximityMinGainMs: number;
  /**
   * 'eager': a table entry that fails is replaced at once (ask a row mate), and gossip fills holes.
   * 'passive': holes refill from the links others open to us (joiners pick us as their entries) and
   * from the periodic row refresh; each failure then costs no connection of its own.
   */
  tableRepair: 'eager' | 'passive';
  /** How long a peer whose link closed while we needed it is not dialled again from gossip, and how many are remembered. */
  recentlyGoneMs: number;
  recentlyGoneMax: number;
  /** Routed frames awaiting their next hop's ack at once (beyond it, frames go unacked). */
  hopAcksMax: number;
  /**
   * Ring merging (ring-merge.ts): a node starts at most mergeChecksMax merge checks (each one
   * JOIN-style lookup through a node of the other ring) per mergePeriodMs, whatever asks for them
   * (meet(), hints from neighbours, retried lost peers); hints beyond it are dropped and counted.
   */
  mergeChecksMax: number;
  mergePeriodMs: number;
  /** After a check, neighbours' hints are ignored this long: a merge wave checks each node once. */
  mergeCooldownMs: number;
  /** A node that merged hands the merge to this many far routing-table entries, down to this depth. */
  mergeFarHints: number;
  mergeFarDepth: number;
  /**
   * Island watch (island-watch.ts): a joined node whose leaf set is not full meets a fresh
   * introduction islandCheckMs after joining or losing a leaf, backing off x4 per check that finds
   * nothing up to islandCheckMaxMs (a network that is really that small pays a few checks an hour).
   */
  islandCheckMs: number;
  islandCheckMaxMs: number;
  /**
   * Former leaves whose link failed (not a graceful leave) that a node remembers, and retries with a
   * backoff from lostRetryMs doubling to lostRetryMaxMs, for lostRetryForMs: a partition that lifts
   * heals this way. Only where the transport reaches a peer by id alone (Transport.reachesById).
   */
  lostPeersMax: number;
  lostRetryMs: number;
  lostRetryMaxMs: number;
  lostRetryForMs: number;
  /**
   * What one neighbour may make us do (neighbour-budget.ts): routed frames per second and in a
   * burst, and the share of the reverse-path table its requests may hold. Over it: dropped unacked.
   */
  routedPerNeighbourPerSec: number;
  routedPerNeighbourBurst: number;
  reversePathShare: number;
  /**
   * A frame whose root by our leaf set is suspected waits up to rootHoldMs for it to be heard from
   * (root-hold.ts) instead of going to the second-closest node; at most rootHoldMax frames wait.
   */
  rootHoldMs: number;
  rootHoldMax: number;
  /** A next hop has at least this long (2 x RTT + 100 ms when measured) to ack a routed frame... */
  hopAckMinMs: number;
  /** ... and this long when its round trip is unknown. */
  hopAckUnknownRttMs: number;
}

export const DEFAULT_CONFIG: OverlayConfig = {
  bitsPerDigit: 4,
  leafSetSize: 16,
  keepAliveMs: 5_000,
  failureTimeoutMs: 15_000,
  tableKeepAliveMs: 10_000,
  suspectAfterMs: 2_000,
  leafSetGossipMs: 20_000,
  leafSetRefreshMs: 30_000,
  routingMaintenanceMs: 60_000,
  proximityProbeBudget: 2,
  requestTimeoutMs: 10_000,
  reversePathMs: 30_000,
  reversePathMax: 10_000,
  maxHops: 40,
  idleLinkGraceMs: 10_000,
  maxLinks: 96,
  busyBackoffMs: 120_000,
  budgetWindowMs: 10 * 60_000,
  budgetTableRecentMax: 60,
  budgetTableHeldShare: 0.6,
  budgetProximityRecentMax: 10,
  budgetProximityHeldShare: 0.3,
  proximityGainShare: 0.7,
  proximityMinGainMs: 20,
  tableRepair: 'passive',
  recentlyGoneMs: 5 * 60_000,
  recentlyGoneMax: 1_024,
  hopAcksMax: 2_000,
  mergeChecksMax: 6,
  mergePeriodMs: 60_000,
  mergeCooldownMs: 20_000,
  mergeFarHints: 2,
  mergeFarDepth: 4,
  islandCheckMs: 20_000,
  islandCheckMaxMs: 30 * 60_000,
  lostPeersMax: 8,
  lostRetryMs: 30_000,
  lostRetryMaxMs: 120_000,
  lostRetryForMs: 30 * 60_000,
  routedPerNeighbourPerSec: 300,
  routedPerNeighbourBurst: 1_500,
  reversePathShare: 0.25,
  rootHoldMs: 1_500,
  rootHoldMax: 512,
  hopAckMinMs: 300,
  hopAckUnknownRttMs: 1_500,
};

export function resolveConfig(partial: Partial<OverlayConfig> = {}): OverlayConfig {
  const config = { ...DEFAULT_CONFIG, ...partial };
  if (128 % config.bitsPerDigit !== 0 || config.bitsPerDigit > 8) {
    throw new Error(`bitsPerDigit must divide 128 and be at most 8, got ${config.bitsPerDigit}`);
  }
  if (config.leafSetSize < 2 || config.leafSetSize % 2 !== 0) {
    throw new Error(`leafSetSize must be even and >= 2, got ${config.leafSetSize}`);
  }
  return config;
}

/** Upper bound on overlay frame size (bytes of JSON); bigger frames are dropped and counted. */
export const MAX_FRAME_BYTES = 64 * 1024;
