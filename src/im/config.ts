// Protocol constants of the instant-messaging layer, named in one place.

export interface ImConfig {
  /**
   * How often a node tells each online buddy it is still alive. Background tabs clamp timers to
   * >= 1 s (and throttle harder after minutes hidden), so we stay well above that.
   */
  keepAliveMs: number;
  /**
   * A buddy not heard from for this long is shown offline. keepAliveMs * 2.5 tolerates one lost
   * keep-alive plus a late timer; with the 1 s presence check a failure shows within
   * presenceTimeoutMs + presenceCheckMs = 8.5 s, under the 10 s goal.
   */
  presenceTimeoutMs: number;
  /** Granularity of the soft-state check (the background-tab floor). */
  presenceCheckMs: number;
  /** An unacknowledged outbox message to an online buddy is sent again after this long. */
  resendMs: number;
  /** Undelivered buddy requests / answers are retried this often (the other side may be offline). */
  noticeRetryMs: number;
  /** Overlay request timeout for IM messages (shorter than the overlay default: we retry anyway). */
  requestTimeoutMs: number;
  /** Out-of-order messages held per conversation; later ones are dropped and resent by the sender. */
  reorderWindow: number;
  /**
   * A chat with a message sent or shown within this long is active: it gets a direct link to the
   * buddy (one hop instead of a route), let go once the chat is quiet this long. 0: always route.
   */
  directIdleMs: number;
  /** After a direct link to a buddy could not be opened, do not try again for this long. */
  directRetryMs: number;
  /**
   * Signature checks per second on messages claiming one buddy's uid (verify-budget.ts; bursts of
   * twice that). A buddy sends ~1 presence a second at most, plus its chats and receipts; an
   * outbox flushed at once is a burst, and what is dropped is resent.
   */
  verifyPerBuddyPerSecond: number;
  /** Signature checks per second on buddy notices from anyone (requests come from strangers). */
  verifyStrangersPerSecond: number;
  /**
   * Signature checks per second for the whole messenger, however many buddies a flood names: at 1-2
   * ms a check (idle core) under a third of a core; 100 buddies' keep-alives need ~70.
   */
  verifyPerSecond: number;
  /** Buddy requests waiting for our answer; more are dropped (each is a record in storage). */
  maxIncomingRequests: number;
  /** Mail for the offline (mailbox.ts): the storing role's bounds. */
  mailbox: MailboxConfig;
}

/**
 * Mail for the offline: a chat (or receipt) to an offline uid is kept, sealed and signed as sent, by
 * the `holders` nodes numerically closest to that uid, until the uid acknowledges it or ttlMs passes.
 * Every count and byte below bounds what peers can make one node keep; over a bound the item is
 * dropped and counted.
 */
export interface MailboxConfig {
  /** Nodes that keep each item (the uid's future neighbours; the uid itself never counts). */
  holders: number;
  /** An item lapses this long after a holder first took it (soft state, never refreshed by copies). */
  ttlMs: number;
  /** Items and bytes one node keeps for one recipient uid... */
  perRecipientItems: number;
  perRecipientBytes: number;
  /** ...signed by one sender uid... */
  perSenderItems: number;
  perSenderBytes: number;
  /** ...and in all. */
  nodeItems: number;
  nodeBytes: number;
  /**
   * A copy is taken only from a node among the key's holders + this many more as we see them (views
   * of two leaf sets differ a little while nodes come and go), and only if we are among them too.
   */
  holderSlack: number;
  /** A recipient in our leaf set that has not acknowledged its items is handed them again this often. */
  handoverRetryMs: number;
  /** A sender posts an unacknowledged outbox entry again at most this often (holders may all have gone). */
  repostMs: number;
  /** Expiry and re-handover check period. */
  tickMs: number;
  /** Signature checks per second on mail items and acknowledgements (anyone may post); bursts of twice that. */
  verifyPerSecond: number;
}

export const DEFAULT_MAILBOX_CONFIG: MailboxConfig = {
  holders: 5,
  ttlMs: 7 * 24 * 3_600_000,
  perRecipientItems: 200,
  perRecipientBytes: 1_000_000,
  perSenderItems: 100,
  perSenderBytes: 500_000,
  nodeItems: 4_000,
  nodeBytes: 8_000_000,
  holderSlack: 3,
  handoverRetryMs: 10_000,
  repostMs: 10 * 60_000,
  tickMs: 5_000,
  verifyPerSecond: 100,
};

export const DEFAULT_IM_CONFIG: ImConfig = {
  keepAliveMs: 3_000,
  presenceTimeoutMs: 7_500,
  presenceCheckMs: 1_000,
  resendMs: 5_000,
  noticeRetryMs: 15_000,
  requestTimeoutMs: 5_000,
  reorderWindow: 256,
  directIdleMs: 60_000,
  directRetryMs: 30_000,
  verifyPerBuddyPerSecond: 30,
  verifyStrangersPerSecond: 20,
  verifyPerSecond: 150,
  maxIncomingRequests: 100,
  mailbox: DEFAULT_MAILBOX_CONFIG,
};

/** Name the IM layer registers under with the overlay. */
export const IM_APPLICATION = 'dima.im';

/** Longest chat text accepted (characters); keeps an envelope far below the overlay frame limit. */
export const MAX_TEXT_CHARS = 2_000;
/** Items in one mail copies message, digests in one mail acknowledgement (wire.ts). */
export const MAIL_BATCH = 32;
/** Longest display name in buddy notices. */
export const MAX_NAME_CHARS = 64;
