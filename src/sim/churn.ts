// Churn in the simulator: nodes come and go as users do. Every node's session is exponential with a
// given median; a session ends with a graceful leave or a silent crash (half each by default); new
// nodes arrive at the rate that keeps the population steady. Meanwhile one lookup a second goes from
// a random live node to a random key, and each node's peer-connection ledger is read at its join, a
// minute later and at its end: what a browser tab would have constructed.

import type { PastryNode } from '../overlay/pastry-node.js';
import { bytesToId, type NodeId } from '../overlay/id.js';
import { round, summarize, type Summary } from './report.js';
import type { Simulation } from './simulation.js';

export interface ChurnOptions {
  /** Median session length (exponential sessions). */
  medianSessionMs: number;
  /** How long the churn runs (virtual time). */
  durationMs: number;
  /** Fraction of sessions that end with a graceful leave; the rest crash silently. */
  gracefulFraction: number;
  /** Virtual ms between two lookups. */
  lookupSpacingMs: number;
  /** A lookup not delivered this long after it was sent is lost. */
  lookupTimeoutMs: number;
  /** Per-hour construction rates are read only off nodes observed at least this long after their first minute. */
  minObservedMs: number;
}

export const DEFAULT_CHURN: ChurnOptions = {
  medianSessionMs: 30 * 60_000,
  durationMs: 2 * 3_600_000,
  gracefulFraction: 0.5,
  lookupSpacingMs: 1_000,
  lookupTimeoutMs: 30_000,
  minObservedMs: 10 * 60_000,
};

export interface ChurnFigures {
  medianSessionMin: number;
  minutes: number;
  gracefulFraction: number;
  joins: number;
  joinFailures: number;
  leaves: number;
  crashes: number;
  liveAtEnd: number;
  /** Peer connections constructed from start() to joined. */
  constructedWhileJoining: Summary;
  /** ... in the first minute after joining. */
  constructedFirstMinute: Summary;
  /** ... per hour after the first minute (nodes observed for at least minObservedMs; the built nodes count from the churn's start). */
  constructedPerHour: Summary;
  /** Constructions after the first minute over all observed node-hours. */
  constructedPerNodeHour: number;
  /** The most connections any node held at once (open + closed but not yet collected), sampled each minute. */
  heldMax: number;
  /**
   * Constructions after each node's first minute (the per-hour window), by cause: dials for leaves,
   * table slots, proximity; the rest answered others' dials.
   */
  constructedBy: { leaf: number; direct: number; table: number; proximity: number; answers: number };
  /** Links retired as duplicates (both ends dialled at once), all nodes, whole run. */
  duplicateLinks: number;
  /** Constructions refused at the page's limit, all nodes. */
  refused: number;
  /** Virtual time from start() to joined. */
  joinMs: Summary;
  /** Links open per live node, over the minute samples (mean of the means, largest seen). */
  linksPerNode: { mean: number; max: number };
  lookups: number;
  delivered: number;
  /** Delivered at the live node numerically closest to the key, at sending or at delivery. */
  correct: number;
  correctPct: number;
  /**
   * Why lookups went wrong: lost (never delivered), delivered while the true root had joined less
   * than a minute before, delivered by a node whose leaf set lacked the root, or otherwise.
   */
  wrong: { lost: number; rootJustJoined: number; rootNotInLeafSet: number; other: number };
  /** The worst minute's share of correct lookups. */
  worstMinutePct: number;
  hops: Summary;
  /** Per minute: live nodes, mean links, mean constructed so far per live node, correct %. */
  timeline: { minute: number; live: number; linksMean: number; constructedMean: number; heldMean: number; correctPct: number }[];
}

interface NodeRecord {
  node: PastryNode;
  startedAt: number;
  joinedAt?: number;
  atJoin?: number;
  /** Constructed count when its per-hour window opens (a minute after joining; the churn's start for built nodes). */
  windowStart?: number;
  windowOpenedAt?: number;
  /** The node's dials by purpose when its window opened. */
  dialsAtWindow?: { leaf: number; direct: number; table: number; proximity: number };
  endedAt?: number;
  atEnd?: number;
}

interface LookupRecord {
  key: NodeId;
  sentAt: number;
  rootAtSend: NodeId;
  deliveredAt?: NodeId;
  rootAtDelivery?: NodeId;
  /** The delivering node had the true root in its leaf set. */
  rootWasLeaf?: boolean;
  hops?: number;
}

const LOOKUP_APP = 'sim-churn-lookup';
const FIRST_MINUTE_MS = 60_000;
const SAMPLE_MS = 60_000;

export async function runChurn(sim: Simulation, options: ChurnOptions, log: (line: string) => void = () => {}): Promise<ChurnFigures> {
  const clock = sim.clock;
  const rnd = sim.random.fork('churn');
  const meanSessionMs = options.medianSessionMs / Math.LN2;
  const exponential = (mean: number) => -Math.log(1 - rnd.next()) * mean;
  const start = clock.now();
  const end = start + options.durationMs;
  const records = new Map<PastryNode, NodeRecord>();
  const lookups = new Map<string, LookupRecord>();
  const counts = { joins: 0, joinFailures: 0, leaves: 0, crashes: 0 };
  const timeline: ChurnFigures['timeline'] = [];
  let heldMax = 0;
  let linksMax = 0;
  let lookupCounter = 0;
  const population = sim.liveNodes().length;
  const constructed = (node: PastryNode) => node.transport.connections?.constructed ?? 0;

  const listen = (node: PastryNode) => {
    node.register(LOOKUP_APP, {
      deliver: (msg) => {
        const id = (msg.body as { lookup?: unknown } | null)?.lookup;
        const record = typeof id === 'string' ? lookups.get(id) : undefined;
        if (!record || record.deliveredAt !== undefined || clock.now() - record.sentAt > options.lookupTimeoutMs) return;
        record.deliveredAt = node.id;
        record.hops = msg.hops;
        record.rootAtDelivery = sim.rootOf(record.key);
        record.rootWasLeaf = node.leafSet.has(record.rootAtDelivery);
      },
    });
  };

  const endSession = (record: NodeRecord) => {
    const node = record.node;
    if (clock.now() >= end || node.state !== 'joined') return;
    record.endedAt = clock.now();
    record.atEnd = constructed(node);
    if (rnd.next() < options.gracefulFraction) {
      counts.leaves++;
      node.leave();
      sim.network.crash(node.id, false);
    } else {
      counts.crashes++;
      sim.network.crash(node.id, true);
      node.stop();
    }
    sim.membershipChanged();
  };

  const scheduleEnd = (record: NodeRecord) => clock.setTimer(exponential(meanSessionMs), () => endSession(record));

  for (const node of sim.liveNodes()) {
    listen(node);
    const record: NodeRecord = { node, startedAt: start, joinedAt: start, windowStart: constructed(node), windowOpenedAt: start, dialsAtWindow: { ...node.stats.dialsFor } };
    records.set(node, record);
    scheduleEnd(record);
  }

  const arrive = () => {
    if (clock.now() >= end) return;
    clock.setTimer(exponential(meanSessionMs / Math.max(1, population)), arrive);
    const node = sim.createNode();
    listen(node);
    const record: NodeRecord = { node, startedAt: clock.now() };
    records.set(node, record);
    node.start(sim.introducer()).then(
      () => {
        counts.joins++;
        record.joinedAt = clock.now();
        record.atJoin = constructed(node);
        sim.track(node);
        sim.membershipChanged();
        clock.setTimer(FIRST_MINUTE_MS, () => {
          if (node.state !== 'joined') return;
          record.windowStart = constructed(node);
          record.windowOpenedAt = clock.now();
          record.dialsAtWindow = { ...node.stats.dialsFor };
        });
        scheduleEnd(record);
      },
      () => {
        counts.joinFailures++;
        record.endedAt = clock.now();
      },
    );
  };
  clock.setTimer(exponential(meanSessionMs / Math.max(1, population)), arrive);

  const sendLookup = () => {
    if (clock.now() >= end) return;
    clock.setTimer(options.lookupSpacingMs, sendLookup);
    const live = sim.liveNodes();
    if (live.length === 0) return;
    const origin = live[rnd.int(live.length)];
    const key = bytesToId(rnd.bytes(16));
    const id = `C${lookupCounter++}`;
    lookups.set(id, { key, sentAt: clock.now(), rootAtSend: sim.rootOf(key) });
    origin.route(key, LOOKUP_APP, { lookup: id });
  };
  clock.setTimer(options.lookupSpacingMs, sendLookup);

  let sampledUpTo = start;
  const sample = () => {
    const live = sim.liveNodes();
    let links = 0;
    let held = 0;
    let built = 0;
    for (const node of live) {
      links += node.links.size;
      linksMax = Math.max(linksMax, node.links.size);
      const c = node.transport.connections;
      if (c) {
        held += c.held;
        heldMax = Math.max(heldMax, c.held);
        built += c.constructed;
      }
    }
    // Lookups sent in the minute just over whose timeout has passed are judged at the next sample.
    const minute = Math.round((clock.now() - start) / SAMPLE_MS);
    const judged = [...lookups.values()].filter((l) => l.sentAt >= sampledUpTo - SAMPLE_MS && l.sentAt < sampledUpTo);
    const ok = judged.filter(isCorrect).length;
    sampledUpTo = clock.now();
    timeline.push({
      minute,
      live: live.length,
      linksMean: round(links / Math.max(1, live.length), 1),
      constructedMean: round(built / Math.max(1, live.length), 1),
      heldMean: round(held / Math.max(1, live.length), 1),
      correctPct: judged.length === 0 ? 100 : round((100 * ok) / judged.length, 2),
    });
    if (minute % 10 === 0) log(`  churn minute ${minute}: ${live.length} live, ${timeline.at(-1)!.linksMean} links/node, ${timeline.at(-1)!.heldMean} held/node`);
    if (clock.now() < end) clock.setTimer(SAMPLE_MS, sample);
  };
  clock.setTimer(SAMPLE_MS, sample);

  await clock.run({ until: end });
  // Let the last lookups land or time out (no new sessions end after `end`).
  await clock.run({ until: end + options.lookupTimeoutMs });

  const stillLive = sim.liveNodes();
  for (const node of stillLive) {
    const record = records.get(node);
    if (record && record.endedAt === undefined) {
      record.endedAt = end;
      record.atEnd = constructed(node);
    }
  }
  const all = [...records.values()];
  const joined = all.filter((r) => r.atJoin !== undefined);
  const firstMinute = joined.filter((r) => r.windowStart !== undefined && r.windowOpenedAt !== undefined && r.windowOpenedAt > start);
  const observed = all.filter((r) => r.windowOpenedAt !== undefined && r.endedAt !== undefined && r.endedAt - r.windowOpenedAt >= options.minObservedMs);
  const rates = observed.map((r) => ((r.atEnd ?? 0) - r.windowStart!) / ((r.endedAt! - r.windowOpenedAt!) / 3_600_000));
  let windowConstructions = 0;
  let windowHours = 0;
  for (const r of all) {
    if (r.windowOpenedAt === undefined || r.endedAt === undefined || r.atEnd === undefined || r.endedAt <= r.windowOpenedAt) continue;
    windowConstructions += r.atEnd - r.windowStart!;
    windowHours += (r.endedAt - r.windowOpenedAt) / 3_600_000;
  }
  const judged = [...lookups.values()].filter((l) => l.sentAt < end);
  const delivered = judged.filter((l) => l.deliveredAt !== undefined);
  const correct = judged.filter(isCorrect).length;
  const joinedAt = new Map<NodeId, number>();
  for (const r of all) if (r.joinedAt !== undefined) joinedAt.set(r.node.id, r.joinedAt);
  const wrong = { lost: 0, rootJustJoined: 0, rootNotInLeafSet: 0, other: 0 };
  for (const l of judged) {
    if (isCorrect(l)) continue;
    if (l.deliveredAt === undefined) wrong.lost++;
    else if (l.sentAt - (joinedAt.get(l.rootAtDelivery!) ?? -Infinity) < FIRST_MINUTE_MS) wrong.rootJustJoined++;
    else if (!l.rootWasLeaf) wrong.rootNotInLeafSet++;
    else wrong.other++;
  }
  const minutes = timeline.filter((t) => t.minute > 0);
  let refused = 0;
  let duplicateLinks = 0;
  const constructedBy = { leaf: 0, direct: 0, table: 0, proximity: 0, answers: 0 };
  for (const r of all) {
    refused += r.node.transport.connections?.refused ?? 0;
    duplicateLinks += r.node.stats.duplicateLinks;
    // Dials are counted up to now; constructions up to the node's end (no dials after a node ends).
    if (!r.dialsAtWindow || r.atEnd === undefined || r.windowStart === undefined) continue;
    const dials = r.node.stats.dialsFor;
    const leaf = dials.leaf - r.dialsAtWindow.leaf;
    const table = dials.table - r.dialsAtWindow.table;
    const proximity = dials.proximity - r.dialsAtWindow.proximity;
    const direct = dials.direct - r.dialsAtWindow.direct;
    constructedBy.direct += direct;
    constructedBy.leaf += leaf;
    constructedBy.table += table;
    constructedBy.proximity += proximity;
    constructedBy.answers += r.atEnd - r.windowStart - leaf - direct - table - proximity;
  }
  return {
    medianSessionMin: round(options.medianSessionMs / 60_000, 2),
    minutes: round(options.durationMs / 60_000, 2),
    gracefulFraction: options.gracefulFraction,
    ...counts,
    liveAtEnd: stillLive.length,
    constructedWhileJoining: summarize(joined.map((r) => r.atJoin!)),
    constructedFirstMinute: summarize(firstMinute.map((r) => r.windowStart! - r.atJoin!)),
    constructedPerHour: summarize(rates),
    constructedPerNodeHour: round(windowHours === 0 ? 0 : windowConstructions / windowHours, 1),
    heldMax,
    constructedBy,
    duplicateLinks,
    refused,
    joinMs: summarize(joined.map((r) => r.joinedAt! - r.startedAt)),
    linksPerNode: { mean: round(minutes.reduce((s, t) => s + t.linksMean, 0) / Math.max(1, minutes.length), 1), max: linksMax },
    lookups: judged.length,
    delivered: delivered.length,
    correct,
    correctPct: round(judged.length === 0 ? 0 : (100 * correct) / judged.length, 3),
    wrong,
    worstMinutePct: minutes.length === 0 ? 100 : Math.min(...minutes.map((t) => t.correctPct)),
    hops: summarize(delivered.map((l) => l.hops ?? 0)),
    timeline,
  };
}

function isCorrect(l: LookupRecord): boolean {
  return l.deliveredAt !== undefined && (l.deliveredAt === l.rootAtSend || l.deliveredAt === l.rootAtDelivery);
}
