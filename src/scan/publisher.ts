// The owner's side of the directory: one user's signed profile, inserted under each of its keyword
// keys, re-published before it expires (soft state, docs/DESIGN.md) and withdrawn with signed tombstones.
// Separate from ScanDirectory (the storing side) because one node may publish for several users
// (the simulator), and a user's profile must not depend on which node stores it.

import type { Clock, Random, TimerHandle } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import type { Identity } from '../overlay/identity.js';
import type { KeyMapping } from './keys.js';
import type { StoreMessage } from './messages.js';
import { signDeletion, signProfile, type ProfileFields, type SignedRecord } from './records.js';

export interface PublisherOptions {
  identity: Identity;
  clock: Clock;
  /** Jitters re-publishing so owners do not refresh in lock-step; none when absent. */
  random?: Random;
  mapping: KeyMapping;
  /** Routes a store message to the root of `key` (OverlayEndpoint.route). */
  route: (key: NodeId, body: StoreMessage) => void;
  ttlMs: number;
  republishMs: number;
}

export class ProfilePublisher {
  private current: SignedRecord | undefined;
  private timer: TimerHandle | undefined;

  constructor(private readonly options: PublisherOptions) {}

  get uid(): NodeId {
    return this.options.identity.id;
  }

  /** The profile as last published (undefined after unpublish). */
  get record(): SignedRecord | undefined {
    return this.current;
  }

  /** Publishes (or replaces) the profile; keywords it no longer has are withdrawn. */
  publish(fields: ProfileFields): SignedRecord {
    const previous = this.current;
    const record = signProfile(this.options.identity, fields, this.nextValidity());
    this.current = record;
    const withdrawn = previous?.keywords.filter((word) => !record.keywords.includes(word)) ?? [];
    if (previous && withdrawn.length > 0) {
      this.insert(signDeletion(this.options.identity, withdrawn, { seq: record.seq, expiresAt: previous.expiresAt }));
    }
    this.insert(record);
    this.scheduleRepublish();
    return record;
  }

  /** Withdraws the profile (on leave): the tombstones live as long as the copies they kill. */
  unpublish(): void {
    const previous = this.current;
    if (previous === undefined) return;
    this.stop();
    this.current = undefined;
    const { seq } = this.nextValidity(previous.seq);
    this.insert(signDeletion(this.options.identity, previous.keywords, { seq, expiresAt: previous.expiresAt }));
  }

  /** Stops re-publishing (the records then expire on their own). */
  stop(): void {
    if (this.timer !== undefined) this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private insert(record: SignedRecord): void {
    for (const keyword of record.keywords) {
      this.options.route(this.options.mapping.keywordKey(keyword, record.uid), { t: 'scan/store', keyword, record });
    }
  }

  /** Sequence numbers follow the clock, so a restarted owner (no saved counter) still outranks its old records. */
  private nextValidity(lastSeq = this.current?.seq ?? 0): { seq: number; expiresAt: number } {
    const now = Math.floor(this.options.clock.now());
    return { seq: Math.max(lastSeq + 1, now), expiresAt: now + this.options.ttlMs };
  }

  private scheduleRepublish(): void {
    this.stop();
    const jitter = this.options.random ? 0.9 + 0.2 * this.options.random.next() : 1;
    this.timer = this.options.clock.setTimer(this.options.republishMs * jitter, () => {
      if (this.current) this.publish(this.current.fields);
    });
  }
}
