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
}

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
};

/** Name the IM layer registers under with the overlay. */
export const IM_APPLICATION = 'dima.im';

/** Longest chat text accepted (characters); keeps an envelope far below the overlay frame limit. */
export const MAX_TEXT_CHARS = 2_000;
/** Longest display name in buddy notices. */
export const MAX_NAME_CHARS = 64;
