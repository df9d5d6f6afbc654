// ScanDirectory: the SCAN buddy directory at one node, an OverlayApplication.
//
// As a directory node it stores the records routed to it (docs/DESIGN.md: Pastry object insertion at the
// root of each keyword key), keeps copies on the k nearest leaves, hands records to a closer node
// that joins, re-replicates when a leaf fails and serves prefix-query walks (query-walk.ts). It is
// also the user's entry point: publish() (publisher.ts) and search() (search.ts).

import type { OverlayApplication, OverlayEndpoint, RoutedMessage } from '../overlay/api.js';
import type { Clock, Random, TimerHandle } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import { planJoin, planLeave, type ReplicaView } from '../overlay/replicas.js';
import { verifySignature, type Identity } from '../overlay/identity.js';
import { FREQUENCY_MAPPING, type KeyMapping } from './keys.js';
import { decodeScanMessage, MAX_BATCH, type ReplicasMessage, type StoreMessage } from './messages.js';
import type { Keyword } from './normalize.js';
import { ProfilePublisher } from './publisher.js';
import { checkRecord, hasValidSignature, type ProfileFields, type SignatureVerifier, type SignedRecord } from './records.js';
import { runSearch, type SearchOptions, type SearchResult } from './search.js';
import { DEFAULT_MAX_ENTRIES, RecordStore, type StoreCounts, type StoredEntry } from './store.js';
import { serveQuery, type WalkLimits } from './query-walk.js';

/** The name the directory registers under on a node; every node of a ring must use the same one. */
export const SCAN_APPLICATION = 'scan';

export interface ScanConfig extends WalkLimits {
  /** Copies beyond the root, on the nearest leaves (the paper's k). */
  replicas: number;
  /** Lifetime of a published record. */
  ttlMs: number;
  /** Re-publish period; well below ttlMs so one lost round does not drop the profile. */
  republishMs: number;
  /** How often expired records are swept from the store. */
  sweepMs: number;
  /** How long a search waits for walks to finish. */
  queryTimeoutMs: number;
  maxEntries: number;
}

export const DEFAULT_SCAN_CONFIG: ScanConfig = {
  replicas: 4,
  ttlMs: 60 * 60_000,
  republishMs: 20 * 60_000,
  sweepMs: 60_000,
  queryTimeoutMs: 5_000,
  maxWalk: 32,
  maxResultsPerNode: 200,
  maxEntries: DEFAULT_MAX_ENTRIES,
};

export interface ScanDirectoryOptions {
  /** Registers the directory with the overlay (e.g. `(app) => node.register(SCAN_APPLICATION, app)`). */
  connect: (app: OverlayApplication) => OverlayEndpoint;
  identity: Identity;
  clock: Clock;
  /** Jitters re-publishing so owners do not refresh in lock-step; none when absent. */
  random?: Random;
  mapping?: KeyMapping;
  config?: Partial<ScanConfig>;
  /** Signature check (the simulator may share a memoized one across nodes). */
  verify?: SignatureVerifier;
}

/** Dropped input, by cause: bad frames and records are values at the edge, counted, never thrown. */
export interface ScanCounters {
  badMessages: number;
  rejectedRecords: number;
  staleCopies: number;
  storeFull: number;
}

export class ScanDirectory implements OverlayApplication {
  readonly config: ScanConfig;
  readonly mapping: KeyMapping;
  readonly counters: ScanCounters = { badMessages: 0, rejectedRecords: 0, staleCopies: 0, storeFull: 0 };
  private readonly endpoint: OverlayEndpoint;
  private readonly store: RecordStore;
  private readonly verify: SignatureVerifier;
  private readonly owner: ProfilePublisher;
  private sweepTimer: TimerHandle | undefined;

  constructor(private readonly options: ScanDirectoryOptions) {
    this.config = { ...DEFAULT_SCAN_CONFIG, ...options.config };
    this.mapping = options.mapping ?? FREQUENCY_MAPPING;
    this.verify = options.verify ?? verifySignature;
    this.store = new RecordStore(this.mapping, this.config.maxEntries);
    this.endpoint = options.connect(this);
    this.owner = this.publisherFor(options.identity);
    this.scheduleSweep();
  }

  get localId(): NodeId {
    return this.endpoint.localId;
  }

  /** Publishes (or replaces) this node's user's profile; see ProfilePublisher. */
  publish(fields: ProfileFields): SignedRecord {
    return this.owner.publish(fields);
  }

  /** Withdraws the profile (on leave) with signed tombstones. */
  unpublish(): void {
    this.owner.unpublish();
  }

  /** A publisher for another identity through this node (several users per node in the simulator). */
  publisherFor(identity: Identity): ProfilePublisher {
    return new ProfilePublisher({
      identity, clock: this.options.clock, random: this.options.random, mapping: this.mapping,
      route: (key, body) => this.endpoint.route(key, body), ttlMs: this.config.ttlMs, republishMs: this.config.republishMs,
    });
  }

  search(text: string, options: SearchOptions = {}): Promise<SearchResult> {
    return runSearch(
      { endpoint: this.endpoint, mapping: this.mapping, clock: this.options.clock, verify: this.verify, config: this.config },
      text,
      options,
    );
  }

  /** Stops timers; the overlay node is torn down by its owner. */
  stop(): void {
    this.owner.stop();
    if (this.sweepTimer !== undefined) this.options.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  storeCounts(): StoreCounts {
    return this.store.counts();
  }

  /** True when this node holds a live profile of `uid` (under `keyword`, if given). */
  holds(uid: NodeId, keyword?: Keyword): boolean {
    return this.store.all().some(
      (entry) => entry.record.uid === uid && entry.record.kind === 'profile' && (keyword === undefined || entry.keyword === keyword),
    );
  }

  // --- OverlayApplication ---------------------------------------------------------------------------

  deliver(msg: RoutedMessage): void {
    const message = decodeScanMessage(msg.body);
    if (message === undefined) {
      this.counters.badMessages++;
      return;
    }
    switch (message.t) {
      case 'scan/store':
        return this.onStore(msg.key, message);
      case 'scan/replicas':
        return this.onReplicas(message);
      case 'scan/query':
        return serveQuery(msg, message, {
          self: this.localId, leafSet: this.endpoint.leafSet(), store: this.store, mapping: this.mapping,
          now: this.options.clock.now(), limits: this.config,
        });
      case 'scan/results':
        this.counters.badMessages++; // results travel as replies, never routed
    }
  }

  update(node: NodeId, joined: boolean): void {
    if (joined) this.handOver(node);
    else this.repair(node);
  }

  // --- directory node ------------------------------------------------------------------------------

  private onStore(key: NodeId, message: StoreMessage): void {
    const entry = this.accept(message.keyword, message.record, key);
    if (entry === undefined) return;
    this.pushReplicas(this.replicaHolders(entry.key).filter((node) => node !== this.localId), [entry]);
  }

  private onReplicas(message: ReplicasMessage): void {
    for (const item of message.items) this.accept(item.keyword, item.record);
  }

  /**
   * Validates and stores one copy; the stored entry when it was new to us. A routed record must have
   * been routed to its own key, or it would sit where no search looks.
   */
  private accept(keyword: Keyword, raw: unknown, routedKey?: NodeId): StoredEntry | undefined {
    const now = this.options.clock.now();
    const checked = checkRecord(raw, now);
    if (!checked.ok) {
      this.counters.rejectedRecords++;
      return undefined;
    }
    const { record } = checked;
    const key = this.mapping.keywordKey(keyword, record.uid);
    if (routedKey !== undefined && routedKey !== key) {
      this.counters.rejectedRecords++;
      return undefined;
    }
    if (!this.store.wouldAccept(record.uid, keyword, record)) {
      this.counters.staleCopies++;
      return undefined;
    }
    if (!hasValidSignature(record, this.verify)) {
      this.counters.rejectedRecords++;
      return undefined;
    }
    const outcome = this.store.put(keyword, record);
    if (outcome === 'full') this.counters.storeFull++;
    if (outcome === 'not-a-keyword') this.counters.rejectedRecords++;
    return outcome === 'stored' ? { key, keyword, record } : undefined;
  }

  /** The root and k replicas of `key`, as this node sees them. */
  private replicaHolders(key: NodeId): NodeId[] {
    return this.endpoint.replicaSet(key, this.config.replicas + 1);
  }

  /** Holders of a key as this node sees them (replicas.ts does the join / leave bookkeeping). */
  private readonly view: ReplicaView<StoredEntry> = { holders: (key) => this.replicaHolders(key), keyOf: (entry) => entry.key };

  /**
   * A node joined our leaf set: copies to it of what it now holds, and entries we no longer belong
   * to passed to their holders before we drop them, so a record is never deleted without being
   * handed on (replicas.ts).
   */
  private handOver(newcomer: NodeId): void {
    const plan = planJoin(this.localId, this.view, this.store.all(), newcomer);
    for (const entry of plan.released) this.store.remove(entry);
    for (const [holder, entries] of plan.copies) this.pushReplicas([holder], entries);
  }

  /** A leaf failed: as root of an entry it was a holder of, bring the holders back to k + 1. */
  private repair(failed: NodeId): void {
    for (const [holder, entries] of planLeave(this.localId, this.view, this.store.all(), failed)) this.pushReplicas([holder], entries);
  }

  private pushReplicas(targets: readonly NodeId[], entries: readonly StoredEntry[]): void {
    for (let i = 0; i < entries.length; i += MAX_BATCH) {
      const items = entries.slice(i, i + MAX_BATCH).map(({ keyword, record }) => ({ keyword, record }));
      const message: ReplicasMessage = { t: 'scan/replicas', items };
      for (const target of targets) this.endpoint.sendDirect(target, message);
    }
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.options.clock.setTimer(this.config.sweepMs, () => {
      this.store.expire(this.options.clock.now());
      this.scheduleSweep();
    });
  }
}
