// The one interface between the UI and the messenger. The UI (src/ui) only ever sees this; the real
// messenger (src/im) implements it over the overlay, and DemoMessenger implements it in memory for
// the shell's own rendering test. Shaped like simple-peer: a few methods, `on`/`off` for events,
// plain data out (no live objects the UI could mutate).

import type { NodeId } from '../overlay/id.js';
import { MAX_NAME_CHARS, MAX_TEXT_CHARS } from '../im/config.js';

/** What the IM layer accepts (src/im/config.ts): the composer and onboarding check against these. */
export const LIMITS = { messageChars: MAX_TEXT_CHARS, nameChars: MAX_NAME_CHARS } as const;

/** A user id: the node id of that user's identity key (docs/DESIGN.md: "UID = nodeId"). */
export type Uid = NodeId;

// ---- connection -------------------------------------------------------------------------------

/**
 * joining / reconnecting (after every link of a joined tab closed) / joined / alone (joined, and
 * nobody else is reachable: the first node of a ring) / offline (no entry point answered) / left
 * (the user left the network).
 */
export type ConnectionPhase = 'joining' | 'reconnecting' | 'joined' | 'alone' | 'offline' | 'left';

export interface ConnectionState {
  readonly phase: ConnectionPhase;
  /** Open overlay links (data channels) of this tab. */
  readonly links: number;
  /** This node's id once the identity is loaded. */
  readonly selfId?: NodeId;
}

// ---- profile (what SCAN publishes) ------------------------------------------------------------

export const PROFILE_FIELDS = ['name', 'nickname', 'city', 'email', 'words'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

export interface Profile {
  /** `name` is the display name and is required; `words` is free text, split into keywords. */
  readonly fields: Readonly<Partial<Record<ProfileField, string>>>;
  /** Fields others may find us by (published to the directory). `name` may stay private too. */
  readonly published: readonly ProfileField[];
}

// ---- search -----------------------------------------------------------------------------------

export interface SearchResult {
  readonly uid: Uid;
  /** The published fields of that user's directory record. */
  readonly fields: Readonly<Partial<Record<ProfileField, string>>>;
  /** How many query words the record matched (the paper ranks by this). */
  readonly matched: number;
}

export interface SearchHandle {
  /** Settles when the search is over (all answers in, or timed out, or cancelled). */
  readonly done: Promise<void>;
  /** Stop delivering results (the user typed on). */
  cancel(): void;
}

// ---- buddies and requests ---------------------------------------------------------------------

export type Presence = 'online' | 'offline';

export interface Buddy {
  readonly uid: Uid;
  readonly name: string;
  readonly presence: Presence;
  /** Incoming messages not yet read (see markRead). */
  readonly unread: number;
  /** The newest message of the conversation, for the list's preview line. */
  readonly last?: { readonly text: string; readonly at: number; readonly direction: 'in' | 'out' };
}

/** Someone whose every message and request is dropped, silently (they are not told). */
export interface BlockedPerson {
  readonly uid: Uid;
  readonly name: string;
}

/** Choices kept per profile in this browser. */
export interface Preferences {
  /**
   * Active chats over a direct WebRTC link to the buddy (one hop) rather than routed through the
   * overlay. Off: the buddy never learns this tab's network address, at the cost of a few hops.
   */
  readonly directLinks: boolean;
  /** A short tone with each notification. */
  readonly notificationSound: boolean;
  /** The browser's notification permission was asked once already (never nag). */
  readonly notificationsAsked: boolean;
}

export const DEFAULT_PREFERENCES: Preferences = { directLinks: true, notificationSound: false, notificationsAsked: false };

export interface BuddyRequest {
  readonly uid: Uid;
  readonly name: string;
  /** incoming: they asked us (accept/decline); outgoing: we asked, waiting for them. */
  readonly direction: 'incoming' | 'outgoing';
  /** Epoch ms. */
  readonly at: number;
}

// ---- messages ---------------------------------------------------------------------------------

/**
 * queued: in the outbox, buddy not reachable yet; sent: routed into the overlay (✓);
 * delivered: the buddy's delivery receipt came back (✓✓); failed: given up (shown, can resend).
 */
export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'failed';

export interface ChatMessage {
  /** Stable id; a later 'message' event with the same id replaces the earlier one (status change). */
  readonly id: string;
  /** The buddy this conversation is with. */
  readonly peer: Uid;
  readonly direction: 'in' | 'out';
  readonly text: string;
  /** Epoch ms when written. */
  readonly at: number;
  /** Meaningful for outgoing messages; incoming ones are 'delivered'. */
  readonly status: MessageStatus;
  /** Why a 'failed' message was not sent, in words for the user. */
  readonly error?: string;
}

// ---- overlay picture --------------------------------------------------------------------------

export interface RoutingEntry {
  readonly row: number;
  readonly column: number;
  readonly id: NodeId;
}

export interface RoutedPath {
  /** What was routed ('message', 'search', 'join', ...), for the legend. */
  readonly kind: string;
  readonly key: NodeId;
  /** Node ids hop by hop, origin first. */
  readonly hops: readonly NodeId[];
  /** Epoch ms. */
  readonly at: number;
}

export interface OverlaySnapshot {
  readonly selfId: NodeId;
  /** Nearest first on each side, as OverlayEndpoint.leafSet(). */
  readonly leafSet: readonly NodeId[];
  readonly routingTable: readonly RoutingEntry[];
  /** Most recent first; a handful is plenty. */
  readonly recentPaths: readonly RoutedPath[];
  /**
   * RTCPeerConnections this page constructed and still holds (closed ones count until garbage
   * collected), against the browser's limit: the scarce resource of a tab. Absent without WebRTC (demo).
   */
  readonly peerConnections?: PeerConnectionFigures;
}

export interface PeerConnectionFigures {
  readonly constructed: number;
  readonly held: number;
  /** Infinity where there is no limit. */
  readonly limit: number;
}

// ---- serverless invites -----------------------------------------------------------------------

/** How an invite step ended; `message` is for the user (what went wrong and what to do). */
export type InviteOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** An invite to show (as QR code and as text) until it is answered or expires. */
export type InviteCreated = { readonly ok: true; readonly code: string; readonly expiresAt: number } | { readonly ok: false; readonly message: string };

/**
 * The newcomer's reply code to show the inviter, and `connected`: settles once the link through the
 * invite opened and the join through it ended (or it never opened).
 */
export type InviteAnswered =
  | { readonly ok: true; readonly reply: string; readonly expiresAt: number; readonly connected: Promise<InviteOutcome> }
  | { readonly ok: false; readonly message: string };

// ---- the port ---------------------------------------------------------------------------------

export interface MessengerEvents {
  state: ConnectionState;
  profile: Profile;
  buddies: readonly Buddy[];
  requests: readonly BuddyRequest[];
  /** A new message in any conversation, or a status change of one (same id). */
  message: ChatMessage;
  overlay: OverlaySnapshot;
}

export type MessengerEvent = keyof MessengerEvents;
export type Listener<E extends MessengerEvent> = (payload: MessengerEvents[E]) => void;

export interface MessengerPort {
  // Current values; each has the event of the same name for changes.
  state(): ConnectionState;
  /** undefined until onboarding has run once. */
  profile(): Profile | undefined;
  buddies(): readonly Buddy[];
  requests(): readonly BuddyRequest[];
  /** Oldest first. */
  conversation(peer: Uid): readonly ChatMessage[];
  overlay(): OverlaySnapshot | undefined;

  /** Save the profile and (re)publish the chosen fields to the directory. */
  setProfile(profile: Profile): Promise<void>;
  /** Results stream in through onResult as directory nodes answer. */
  search(query: string, onResult: (result: SearchResult) => void): SearchHandle;
  requestBuddy(uid: Uid, name: string): Promise<void>;
  accept(uid: Uid): Promise<void>;
  decline(uid: Uid): Promise<void>;
  removeBuddy(uid: Uid): Promise<void>;
  /** Removes the buddy (or request) and drops everything from them from now on; they are not told. */
  block(uid: Uid, name: string): Promise<void>;
  unblock(uid: Uid): Promise<void>;
  blocked(): readonly BlockedPerson[];
  /**
   * Returns at once with the message (status 'queued' or 'sent', or 'failed' with its error: e.g.
   * over LIMITS.messageChars); updates come as 'message' events.
   */
  send(peer: Uid, text: string): ChatMessage;
  /** Sends a failed message's text again: the failed one leaves the conversation, a new one comes. */
  retry(peer: Uid, id: string): ChatMessage | undefined;
  markRead(peer: Uid): void;
  /** The user opened the chat with `peer`: a hint that messages will follow (the real messenger readies a direct link). */
  chatOpened(peer: Uid): void;
  /** JSON the user can keep; importBuddies takes the same and answers how many were new. */
  exportBuddies(): string;
  importBuddies(json: string): Promise<number>;
  /** Graceful leave (docs/DESIGN.md: tell the leaf set and the buddies); state goes 'left'. */
  leave(): Promise<void>;
  /** Back in after leave(): a fresh node with the same identity joins again. */
  rejoin(): Promise<void>;

  preferences(): Preferences;
  /** Saved for this profile, and applied at once (and to every later session). */
  setPreferences(change: Partial<Preferences>): Promise<void>;

  /**
   * Serverless invites (no server needed at all). Inviter: createInvite() (a tab not in a network
   * first founds one of its own), then acceptInviteReply() with the newcomer's reply code; settles
   * once the link to the newcomer is open. Newcomer: joinWithInvite() answers with a reply code.
   */
  createInvite(): Promise<InviteCreated>;
  acceptInviteReply(code: string): Promise<InviteOutcome>;
  joinWithInvite(code: string): Promise<InviteAnswered>;

  on<E extends MessengerEvent>(event: E, listener: Listener<E>): void;
  off<E extends MessengerEvent>(event: E, listener: Listener<E>): void;
}
