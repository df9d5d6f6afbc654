// The introducer's limits and timers, named in one place (docs/ARCHITECTURE.md quotes them;
// tests/build/docs-config.test.ts checks each quote against DEFAULT_INTRODUCER).

export interface IntroducerConfig {
  /** Volunteer sockets kept open; the oldest is let go when a new one comes (fresh ones are likelier alive). */
  maxVolunteers: number;
  /** Open connections of any kind; more are refused with 'busy'. */
  maxConnections: number;
  /** Open connections from one network address: 1,000 idle sockets from one host must not fill the rest. */
  maxConnectionsPerAddress: number;
  /** Volunteers from one address; a newer one replaces that address's oldest, so one host holds few slots. */
  maxVolunteersPerAddress: number;
  /**
   * No "first" while a volunteer answered within this long: its ring is alive and its volunteers may
   * come back (their sockets dropped in a network blip retry within 10 s), and a "first" would split
   * it. Short, because the last node of a ring that reloads must not wait long to found it again;
   * fakes cannot empty the list meanwhile (proven volunteers are never pushed out).
   */
  servedRecentlyMs: number;
  /**
   * After telling a joiner "you are the first node", hold further joiners this long, waiting for that
   * node to volunteer, instead of telling them "first" too (two simultaneous first joins = two rings).
   */
  firstGraceMs: number;
  /**
   * After the introducer starts, hold joiners this long before telling anyone "first": a restarted
   * introducer has an empty list, and the volunteers of the ring that lives on come back within
   * their first retry (client.ts retries after 2 s). Answering "first" at once started a second ring.
   */
  returnWindowMs: number;
  /**
   * For this long after the start, and after each "first" granted, every volunteer that registers is
   * introduced to one other volunteer ('meet'), so rings born apart while the list was empty find
   * each other; the nodes find out through that link whether they are one ring (PastryNode.meet).
   */
  meetWindowMs: number;
  /** Meets started per minute, at most (each costs both volunteers a peer connection). */
  meetsPerMinute: number;
  /** A volunteer that has not answered an offer by then is skipped; the next one gets the offer. */
  answerTimeoutMs: number;
  /** Volunteers tried per join. */
  maxAttempts: number;
  /** A connection must say 'join' or 'volunteer' within this. */
  helloTimeoutMs: number;
  /** A joiner told 'ready' must send its offer within this. */
  offerTimeoutMs: number;
  /** A join must be over (answered or told "first") within this. */
  joinTimeoutMs: number;
  /** Token bucket per connection: burst size and refill per second. Answers to our own offers are free. */
  rateBurst: number;
  ratePerSecond: number;
}

export const DEFAULT_INTRODUCER: IntroducerConfig = {
  maxVolunteers: 64,
  maxConnections: 1024,
  maxConnectionsPerAddress: 64,
  maxVolunteersPerAddress: 16,
  servedRecentlyMs: 15_000,
  firstGraceMs: 5_000,
  returnWindowMs: 3_000,
  meetWindowMs: 120_000,
  meetsPerMinute: 30,
  answerTimeoutMs: 10_000,
  maxAttempts: 3,
  helloTimeoutMs: 3_000,
  offerTimeoutMs: 10_000,
  joinTimeoutMs: 60_000,
  rateBurst: 10,
  ratePerSecond: 2,
};

/** The defaults, each replaced by its option where one is given (an option left undefined keeps it). */
export function introducerSettings(options: Partial<IntroducerConfig>): IntroducerConfig {
  const entries = Object.entries(DEFAULT_INTRODUCER).map(([key, fallback]) => [key, options[key as keyof IntroducerConfig] ?? fallback]);
  return Object.fromEntries(entries) as IntroducerConfig;
}
