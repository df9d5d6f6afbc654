// The seed board: an overlay application where seed peers announce their introducer URL, so a tab
// that was in the ring can find its way back after the server that served it is gone.
//
// Everything about it follows the SCAN directory (src/scan/directory.ts): one well-known key
// (SEEDS_KEY, the hash of "dima.seeds"), records routed to the key's root, copies on its k nearest
// leaves (replicaSet), a copy handed to a node that joins among the holders, the holders brought
// back to k + 1 by the root when one fails, signed soft state that lapses unless re-announced
// (seed-record.ts). A lookup is a request to the key's root, answered with what it holds.
//
// Bounds: at most maxRecords records per node (one per uid, the latest expiry wins), records and
// batches capped in size; bad input is dropped and counted, never thrown.

import * as v from 'valibot';
import { sha256 } from '@noble/hashes/sha2.js';
import type { OverlayApplication, OverlayEndpoint, RoutedMessage } from '../overlay/api.js';
import type { Clock, Random, TimerHandle } from '../overlay/environment.js';
import { bytesToId, type NodeId } from '../overlay/id.js';
import type { Identity } from '../overlay/identity.js';
import { planJoin, planLeave, type ReplicaView } from '../overlay/replicas.js';
import { signSeed, validateSeed, type SeedRecord } from './seed-record.js';

export const SEEDS_APPLICATION = 'dima.seeds';
/** Where seed records live on the ring: the first 128 bits of SHA-256("dima.seeds"). */
export const SEEDS_KEY: NodeId = bytesToId(sha256(new TextEncoder().encode('dima.seeds')));

export interface SeedBoardConfig {
  /** Copies beyond the root. */
  replicas: number;
  /** Records one node keeps (and one message carries), at most. */
  maxRecords: number;
  /** A seed re-announces this often... */
  announceMs: number;
  /** ...with records that live this long (three rounds may be lost before it lapses). */
  ttlMs: number;
  lookupTimeoutMs: number;
}

export const DEFAULT_SEED_BOARD_CONFIG: SeedBoardConfig = {
  replicas: 4,
  maxRecords: 32,
  announceMs: 5 * 60_000,
  ttlMs: 15 * 60_000,
  lookupTimeoutMs: 5_000,
};

const records = (max: number) => v.pipe(v.array(v.unknown()), v.maxLength(max));
const message = (max: number) =>
  v.variant('t', [
    /** Routed to SEEDS_KEY: the root keeps it and copies it to its replicas. */
    v.strictObject({ t: v.literal('seeds/put'), record: v.unknown() }),
    /** Sent directly to holders (replication, handover, repair). */
    v.strictObject({ t: v.literal('seeds/copies'), records: records(max) }),
    /** A request routed to SEEDS_KEY; the answer is a 'seeds/list'. */
    v.strictObject({ t: v.literal('seeds/get') }),
    v.strictObject({ t: v.literal('seeds/list'), records: records(max) }),
  ]);

export interface SeedBoardCounters {
  badMessages: number;
  rejectedRecords: number;
  storeFull: number;
}

export interface SeedBoardOptions {
  connect: (app: OverlayApplication) => OverlayEndpoint;
  clock: Clock;
  /** Jitters re-announcing; none when absent. */
  random?: Random;
  config?: Partial<SeedBoardConfig>;
  verify?: Parameters<typeof validateSeed>[2];
}

export class SeedBoard implements OverlayApplication {
  readonly config: SeedBoardConfig;
  readonly counters: SeedBoardCounters = { badMessages: 0, rejectedRecords: 0, storeFull: 0 };
  private readonly endpoint: OverlayEndpoint;
  private readonly held = new Map<NodeId, SeedRecord>();
  private readonly schema;
  private announceTimer: TimerHandle | undefined;

  constructor(private readonly options: SeedBoardOptions) {
    this.config = { ...DEFAULT_SEED_BOARD_CONFIG, ...options.config };
    this.schema = message(this.config.maxRecords);
    this.endpoint = options.connect(this);
  }

  /** Announces `url` as this node's introducer now and every announceMs until stop(). */
  announce(identity: Identity, url: string): void {
    this.stopAnnouncing();
    const once = () => {
      const record = signSeed(identity, url, this.options.clock.now() + this.config.ttlMs);
      this.endpoint.route(SEEDS_KEY, { t: 'seeds/put', record });
      const jitter = 1 - 0.1 * (this.options.random?.next() ?? 0);
      this.announceTimer = this.options.clock.setTimer(this.config.announceMs * jitter, once);
    };
    once();
  }

  /** The seeds the key's root knows, validated, freshest (latest expiry) first. */
  async lookup(): Promise<SeedRecord[]> {
    const reply = await this.endpoint.request(SEEDS_KEY, { t: 'seeds/get' }, { timeoutMs: this.config.lookupTimeoutMs });
    const parsed = v.safeParse(this.schema, reply.body);
    if (!parsed.success || parsed.output.t !== 'seeds/list') {
      this.counters.badMessages++;
      return [];
    }
    const now = this.options.clock.now();
    const seeds = new Map<NodeId, SeedRecord>();
    for (const raw of parsed.output.records) {
      const checked = validateSeed(raw, now, this.options.verify);
      if (!checked.ok) this.counters.rejectedRecords++;
      else if ((seeds.get(checked.record.uid)?.expiresAt ?? -1) < checked.record.expiresAt) seeds.set(checked.record.uid, checked.record);
    }
    return [...seeds.values()].sort((a, b) => b.expiresAt - a.expiresAt);
  }

  /** Records this node holds (as root or replica), unexpired. */
  holding(): SeedRecord[] {
    this.expire();
    return [...this.held.values()];
  }

  stop(): void {
    this.stopAnnouncing();
  }

  // --- OverlayApplication ---------------------------------------------------------------------------

  deliver(msg: RoutedMessage): void {
    const parsed = v.safeParse(this.schema, msg.body);
    if (!parsed.success) {
      this.counters.badMessages++;
      return;
    }
    const body = parsed.output;
    switch (body.t) {
      case 'seeds/put': {
        // Only at the key's root: a put routed elsewhere would sit where no lookup asks.
        if (msg.key !== SEEDS_KEY) return void this.counters.badMessages++;
        const record = this.accept(body.record);
        if (record) this.copyTo(this.holders().filter((node) => node !== this.endpoint.localId), [record]);
        return;
      }
      case 'seeds/copies':
        for (const raw of body.records) this.accept(raw);
        return;
      case 'seeds/get':
        if (msg.key !== SEEDS_KEY) return void this.counters.badMessages++;
        msg.reply?.({ t: 'seeds/list', records: this.holding() });
        return;
      case 'seeds/list':
        this.counters.badMessages++; // lists travel as replies, never routed
    }
  }

  update(node: NodeId, joined: boolean): void {
    if (this.held.size === 0) return;
    // As in the directory (replicas.ts): every holder that sees the newcomer among the holders sends
    // it a copy (copies are idempotent); when a holder failed, the root tops the holders back up.
    // Records are never released early: they lapse.
    const self = this.endpoint.localId;
    const records = this.holding();
    const copies = joined ? planJoin(self, this.view, records, node).copies : planLeave(self, this.view, records, node);
    for (const [target, list] of copies) this.copyTo([target], list);
  }

  // --- internals ----------------------------------------------------------------------------------

  private readonly view: ReplicaView<SeedRecord> = { holders: () => this.holders(), keyOf: () => SEEDS_KEY };

  private holders(): NodeId[] {
    return this.endpoint.replicaSet(SEEDS_KEY, this.config.replicas + 1);
  }

  private accept(raw: unknown): SeedRecord | undefined {
    const now = this.options.clock.now();
    const checked = validateSeed(raw, now, this.options.verify);
    if (!checked.ok) {
      this.counters.rejectedRecords++;
      return undefined;
    }
    const { record } = checked;
    const held = this.held.get(record.uid);
    if (held && held.expiresAt >= record.expiresAt) return undefined;
    if (!held && this.held.size >= this.config.maxRecords) {
      this.expire();
      if (this.held.size >= this.config.maxRecords) {
        this.counters.storeFull++;
        return undefined;
      }
    }
    this.held.set(record.uid, record);
    return record;
  }

  private expire(): void {
    const now = this.options.clock.now();
    for (const [uid, record] of this.held) if (record.expiresAt <= now) this.held.delete(uid);
  }

  private copyTo(targets: readonly NodeId[], list: readonly SeedRecord[]): void {
    if (list.length === 0) return;
    const message = { t: 'seeds/copies', records: list.slice(0, this.config.maxRecords) };
    for (const target of targets) this.endpoint.sendDirect(target, message);
  }

  private stopAnnouncing(): void {
    if (this.announceTimer !== undefined) this.options.clock.clearTimer(this.announceTimer);
    this.announceTimer = undefined;
  }
}
