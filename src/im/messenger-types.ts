// The types around the Messenger: what it needs (options, the overlay host) and what it tells the UI
// (buddies, events). Kept apart so the classes composing the messenger can name them too.

import type { OverlayApplication, OverlayEndpoint } from '../overlay/api.js';
import type { Clock, Random } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import type { IncomingMessage } from './chat.js';
import type { ImConfig } from './config.js';
import type { Identity } from './crypto.js';
import type { ImStorage } from './storage.js';

/** A profile found in the SCAN directory (records there are signed by their owner). */
export interface DirectoryEntry {
  uid: NodeId;
  name: string;
  publicKey: string;
}
export type BuddySearch = (query: string) => Promise<DirectoryEntry[]>;

/** The part of the Pastry node the messenger needs: registering an application. */
export interface OverlayHost {
  register(name: string, application: OverlayApplication): OverlayEndpoint;
}

export interface MessengerOptions {
  identity: Identity;
  storage: ImStorage;
  overlay: OverlayHost;
  clock: Clock;
  random: Random;
  /** SCAN directory search (src/scan); without it search() finds nobody. */
  search?: BuddySearch;
  config?: Partial<ImConfig>;
}

export interface Buddy {
  uid: NodeId;
  name: string;
  publicKey: string;
  status: 'outgoing' | 'incoming' | 'accepted' | 'blocked';
  online: boolean;
}

export interface MessengerEvents {
  /** A buddy's message, shown in order and exactly once. */
  message: IncomingMessage;
  presence: { uid: NodeId; online: boolean };
  /** Somebody asks to become our buddy (answer with acceptBuddy / declineBuddy). */
  request: { from: NodeId; name: string; publicKey: string };
  /** The buddy has every message we sent up to `seq`. */
  receipt: { to: NodeId; seq: number };
  /** Messages we queued to `to` go under new seqs now ([old, new] pairs; after a stale backup's resync). */
  renumbered: { to: NodeId; seqs: (readonly [number, number])[] };
  state: 'online' | 'stopped';
  /** The buddy list changed (request answered, buddy removed...). */
  buddies: Buddy[];
}
