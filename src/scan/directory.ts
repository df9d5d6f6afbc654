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
import { checkRecord, type ProfileFields, type SignatureVerifier, type SignedRecord } from './records.js';
import { SignatureAdmission } from './admission.js';
import { runSearch, type SearchOptions, type SearchResult } from './search.js';
import { RecordStore, type StoreCounts, type StoredEntry } from './store.js';
import { serveQuery } from './query-walk.js';
import { DEFAULT_SCAN_CONFIG, newScanCounters, type ScanConfig, type ScanCounters } from './config.js';

/** The name the directory registers under on a node; every node of a ring must use the same one. */
export const SCAN_APPLICATION = 'scan';

export { DEFAULT_SCAN_CONFIG, type ScanConfig, type ScanCounters } from './config.js';

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

export class ScanDirectory implements OverlayApplication {
  readonly config: ScanConfig;
  readonly mapping: KeyMapping;
  readonly counters: ScanCounters = newScanCounters();
  private readonly endpoint: OverlayEndpoint;
  private readonly store: RecordStore;
  private readonly verify: SignatureVerifier;
  private readonly admission: SignatureAdmission;
  private readonly owner: ProfilePublisher;
  private sweepTimer: TimerHandle | undefined;

  constructor(private readonly options: ScanDirectoryOptions) {
    this.config = { ...DEFAULT_SCAN_CONFIG, ...options.config };
    this.mapping = options.mapping ?? FREQUENCY_MAPPING;
    this.verify = options.verify ?? verifySignature;
    this.store = new RecordStore(this.mapping, this.config);
    this.admission = new SignatureAdmission(options.clock, this.verify, this.config);
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
        return this.onReplicas(msg, message);
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
    // Routed here, or so the frame says: a direct frame can name any key, so we must be a holder.
    if (!this.replicaHolders(key).includes(this.localId)) {
      this.counters.notOurKey++;
      return;
    }
    const entry = this.accept(message.keyword, message.record, { routedKey: key }, { checks: 0 });
    if (entry === undefined) return;
    this.pushReplicas(this.replicaHolders(entry.key).filter((node) => node !== this.localId), [entry]);
  }

  /**
   * Copies pushed by a holder (replication, handover, repair). Only over the sender's own link
   * (`from`, proven by the link, and the origin it claims), and only for keys both of us are
   * holders of as we see the leaf set (with replicaSlack for views that differ after a join).
   */
  private onReplicas(msg: RoutedMessage, message: ReplicasMessage): void {
    const sender = msg.from;
    const frame = { checks: 0 };
    for (const item of message.items) {
      if (sender === undefined || msg.origin !== sender) {
        this.counters.replicaNotEntitled++;
        continue;
      }
      this.accept(item.keyword, item.record, { sender }, frame);
    }
  }

  /** May `sender` hand us copies of `key`, and may we hold them? */
  private entitled(sender: NodeId, key: NodeId): boolean {
    const neighbourhood = this.endpoint.replicaSet(key, this.config.replicas + 1 + this.config.replicaSlack);
    return neighbourhood.includes(sender) && neighbourhood.includes(this.localId);
  }

  /**
   * Validates and stores one copy; the stored entry when it was new to us. Every cheap check runs
   * before the signature: shape, size and freshness (checkRecord), the key the copy belongs at (a
   * routed record must have been routed to its own key, or it would sit where no search looks; a
   * replica must come from a holder), duplicates and stale versions; then the budgets (per frame,
   * per second) and the signature, before any state changes.
   */
  private accept(
    keyword: Keyword,
    raw: unknown,
    via: { routedKey: NodeId } | { sender: NodeId },
    frame: { checks: number },
  ): StoredEntry | undefined {
    const checked = checkRecord(raw, this.options.clock.now());
    if (!checked.ok) {
      this.counters.rejectedRecords++;
      return undefined;
    }
    const { record } = checked;
    const key = this.mapping.keywordKey(keyword, record.uid);
    if ('routedKey' in via && via.routedKey !== key) {
      this.counters.rejectedRecords++;
      return undefined;
    }
    if ('sender' in via && !this.entitled(via.sender, key)) {
      this.counters.replicaNotEntitled++;
      return undefined;
    }
    if (!record.keywords.includes(keyword)) {
      this.counters.rejectedRecords++;
      return undefined;
    }
    if (!this.store.wouldAccept(record.uid, keyword, record)) {
      this.counters.staleCopies++;
      return undefined;
    }
    if (frame.checks >= this.config.verifyPerFrame) {
      this.counters.overVerifyBudget++;
      return undefined;
    }
    frame.checks++;
    const verdict = this.admission.check(record, 'sender' in via ? via.sender : undefined, !this.store.holdsOwner(record.uid));
    if (verdict !== 'valid') {
      if (verdict === 'forged') this.counters.rejectedRecords++;
      else this.counters.overVerifyBudget++;
      return undefined;
    }
    const evictedBefore = this.store.evicted;
    const outcome = this.store.put(keyword, record);
    this.counters.evicted += this.store.evicted - evictedBefore;
    if (outcome === 'full') this.counters.storeFull++;
    return outcome === 'stored' ? { key, keyword, record } : undefined;
  }

  /** The root and k replicas of `key`, as this node sees them. */
  private replicaHolders(key: NodeId): NodeId[] {
    return this.endpoint.replicaSet(key, this.config.replicas + 1);
  }

  /** Holders of a key as this node sees them (replicas.ts does the join / leave bookkeeping). */
  private readonly view: ReplicaView<StoredEntry> = { holders: (key) => this.replicaHolders(key), keyOf: (entry) => entry.key };

  /**
   * A node joined our leaf set: copies to it of what it now holds (replicas.ts). An entry we no
   * longer belong to is routed to its root as a store before we drop it, not pushed as a replica:
   * we may have been far from the key (a root by a leaf set not yet converged), and holders take
   * replicas only from holders. So a record is never deleted without being handed on.
   */
  private handOver(newcomer: NodeId): void {
    const plan = planJoin(this.localId, this.view, this.store.all(), newcomer);
    const released = new Set(plan.released);
    for (const entry of plan.released) {
      this.endpoint.route(entry.key, { t: 'scan/store', keyword: entry.keyword, record: entry.record } satisfies StoreMessage);
      this.store.remove(entry);
    }
    this.pushReplicas([newcomer], (plan.copies.get(newcomer) ?? []).filter((entry) => !released.has(entry)));
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
