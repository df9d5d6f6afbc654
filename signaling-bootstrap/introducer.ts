// The introducer: the server side of the introduction protocol (src/overlay/bootstrap/protocol.ts).
// It relays ONE joiner's offer to ONE volunteer and the answer back, and that is all: no node list,
// no routing, no storage beyond the open sockets of the volunteers (bounded).
//
// It knows nothing of WebSockets: a connection is anything with send(text) and close(code, reason),
// so the bootstrap server (introduction-socket.ts over `ws`) and a headless seed peer share this
// file, and tests can drive it directly. Volunteers are either remote sockets or in-process (a seed
// peer answering with its own transport).

import type { Clock, SignalBlob, TimerHandle } from '../src/overlay/environment.js';
import {
  decodeClientFrame,
  ERROR_CODES,
  type ClientFrame,
  type ErrorCode,
  type ServerFrame,
} from '../src/overlay/bootstrap/protocol.js';

export interface IntroducerSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface IntroducerOptions {
  clock: Clock;
  /** Volunteer sockets kept open; the oldest is let go when a new one comes (fresh ones are likelier alive). */
  maxVolunteers?: number;
  /** Open connections of any kind; more are refused with 'busy'. */
  maxConnections?: number;
  /**
   * After telling a joiner "you are the first node", hold further joiners this long, waiting for that
   * node to volunteer, instead of telling them "first" too (two simultaneous first joins = two rings).
   */
  firstGraceMs?: number;
  /** A volunteer that has not answered an offer by then is skipped; the next one gets the offer. */
  answerTimeoutMs?: number;
  /** Volunteers tried per join. */
  maxAttempts?: number;
  /** A connection must say 'join' or 'volunteer' within this. */
  helloTimeoutMs?: number;
  /** A join must be over (answered or told "first") within this. */
  joinTimeoutMs?: number;
  /** Token bucket per connection: burst size and refill per second. Answers to our own offers are free. */
  rateBurst?: number;
  ratePerSecond?: number;
}

export interface IntroducerStats {
  connections: number;
  openConnections: number;
  volunteers: number;
  joins: number;
  /** Offers relayed to a volunteer whose answer reached the joiner: one per successful join. */
  introductions: number;
  firstNodeGrants: number;
  failedIntroductions: number;
  answerTimeouts: number;
  evictions: number;
  errors: Record<ErrorCode, number>;
}

/** Answers an offer for a joining node; the introducer applies the timeout. */
type AnswerOffer = (offer: SignalBlob, intro: string) => Promise<SignalBlob>;

interface Volunteer {
  readonly answer: AnswerOffer;
  /** Remote volunteers can be evicted; in-process ones (a seed's own node) are not. */
  readonly connection: Connection | null;
}

const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY = 1008;
const CLOSE_TOO_BIG = 1009;
const CLOSE_TRY_LATER = 1013;

const CLOSE_CODE_FOR: Partial<Record<ErrorCode, number>> = {
  'too-large': CLOSE_TOO_BIG,
  busy: CLOSE_TRY_LATER,
  'no-volunteer': CLOSE_TRY_LATER,
  'no-answer': CLOSE_TRY_LATER,
  timeout: CLOSE_TRY_LATER,
  replaced: CLOSE_GOING_AWAY,
  'shutting-down': CLOSE_GOING_AWAY,
};

export class Introducer {
  readonly stats: IntroducerStats = {
    connections: 0,
    openConnections: 0,
    volunteers: 0,
    joins: 0,
    introductions: 0,
    firstNodeGrants: 0,
    failedIntroductions: 0,
    answerTimeouts: 0,
    evictions: 0,
    errors: Object.fromEntries(ERROR_CODES.map((code) => [code, 0])) as Record<ErrorCode, number>,
  };
  readonly clock: Clock;
  readonly settings: Required<Omit<IntroducerOptions, 'clock'>>;
  private readonly open = new Set<Connection>();
  private readonly volunteers: Volunteer[] = [];
  private roundRobin = 0;
  private readonly held: Connection[] = [];
  private firstGrantBlockedUntil = -Infinity;
  private graceTimer: TimerHandle | null = null;
  private nextIntro = 0;

  constructor(options: IntroducerOptions) {
    this.clock = options.clock;
    this.settings = {
      maxVolunteers: options.maxVolunteers ?? 64,
      maxConnections: options.maxConnections ?? 1024,
      firstGraceMs: options.firstGraceMs ?? 5_000,
      answerTimeoutMs: options.answerTimeoutMs ?? 10_000,
      maxAttempts: options.maxAttempts ?? 3,
      helloTimeoutMs: options.helloTimeoutMs ?? 15_000,
      joinTimeoutMs: options.joinTimeoutMs ?? 60_000,
      rateBurst: options.rateBurst ?? 10,
      ratePerSecond: options.ratePerSecond ?? 2,
    };
  }

  /** A new socket. Feed it every text frame with receive(), and call closed() when it goes away. */
  connect(socket: IntroducerSocket): { receive(text: string | null): void; closed(): void } {
    const connection = new Connection(this, socket);
    this.stats.connections++;
    if (this.open.size >= this.settings.maxConnections) {
      connection.fail('busy', 'too many connections, try again later');
    } else {
      this.open.add(connection);
      this.stats.openConnections = this.open.size;
    }
    return {
      receive: (text) => connection.receive(text),
      closed: () => this.forget(connection),
    };
  }

  /** An in-process volunteer (a seed peer's own node). Returns a function that withdraws it. */
  addLocalVolunteer(answer: (offer: SignalBlob) => Promise<SignalBlob>): () => void {
    const volunteer: Volunteer = { answer: (offer) => answer(offer), connection: null };
    this.addVolunteer(volunteer);
    return () => this.removeVolunteer(volunteer);
  }

  /** Tells every connection we are going and closes them. */
  shutdown(): void {
    for (const connection of [...this.open]) connection.fail('shutting-down', 'introducer is shutting down');
    if (this.graceTimer !== null) this.clock.clearTimer(this.graceTimer);
    this.graceTimer = null;
  }

  // ---- called by connections -------------------------------------------------------------------

  onJoin(joiner: Connection): void {
    this.stats.joins++;
    if (this.volunteers.length > 0) return joiner.ready();
    if (this.clock.now() >= this.firstGrantBlockedUntil) return this.grantFirst(joiner);
    this.held.push(joiner);
    this.scheduleGraceCheck();
  }

  async introduce(joiner: Connection, offer: SignalBlob): Promise<void> {
    const tried = new Set<Volunteer>();
    while (tried.size < this.settings.maxAttempts && joiner.isOpen) {
      const volunteer = this.pickVolunteer(tried);
      if (!volunteer) break;
      tried.add(volunteer);
      const answer = await this.askWithTimeout(volunteer, offer);
      if (answer && joiner.isOpen) {
        this.stats.introductions++;
        joiner.finish({ type: 'answer', answer: { kind: 'answer', data: answer.data } });
        return;
      }
    }
    if (!joiner.isOpen) return;
    this.stats.failedIntroductions++;
    if (tried.size === 0) joiner.fail('no-volunteer', 'no node can introduce you right now, try again');
    else joiner.fail('no-answer', 'no volunteer answered your offer, try again');
  }

  addVolunteer(volunteer: Volunteer): void {
    const remote = this.volunteers.filter((v) => v.connection !== null);
    if (volunteer.connection && remote.length >= this.settings.maxVolunteers) {
      this.stats.evictions++;
      remote[0].connection!.fail('replaced', 'a newer volunteer took your place');
    }
    this.volunteers.push(volunteer);
    this.stats.volunteers = this.volunteers.length;
    for (const joiner of this.held.splice(0)) if (joiner.isOpen) joiner.ready();
  }

  removeVolunteer(volunteer: Volunteer): void {
    const index = this.volunteers.indexOf(volunteer);
    if (index >= 0) this.volunteers.splice(index, 1);
    this.stats.volunteers = this.volunteers.length;
  }

  newIntroId(): string {
    return (this.nextIntro++).toString(36);
  }

  countError(code: ErrorCode): void {
    this.stats.errors[code]++;
  }

  // ---- internals -------------------------------------------------------------------------------

  private forget(connection: Connection): void {
    connection.dispose();
    this.open.delete(connection);
    this.stats.openConnections = this.open.size;
    const heldIndex = this.held.indexOf(connection);
    if (heldIndex >= 0) this.held.splice(heldIndex, 1);
  }

  private grantFirst(joiner: Connection): void {
    this.stats.firstNodeGrants++;
    this.firstGrantBlockedUntil = this.clock.now() + this.settings.firstGraceMs;
    joiner.finish({ type: 'first' });
  }

  private scheduleGraceCheck(): void {
    if (this.graceTimer !== null) return;
    const wait = Math.max(0, this.firstGrantBlockedUntil - this.clock.now());
    this.graceTimer = this.clock.setTimer(wait, () => {
      this.graceTimer = null;
      // The node told "first" never volunteered (it failed, or does not volunteer): next in line starts the ring.
      const next = this.held.shift();
      if (next && next.isOpen && this.volunteers.length === 0) this.grantFirst(next);
      else if (next) this.onJoinAgain(next);
      if (this.held.length > 0) this.scheduleGraceCheck();
    });
  }

  private onJoinAgain(joiner: Connection): void {
    if (!joiner.isOpen) return;
    if (this.volunteers.length > 0) joiner.ready();
    else this.grantFirst(joiner);
  }

  private pickVolunteer(exclude: Set<Volunteer>): Volunteer | null {
    for (let i = 0; i < this.volunteers.length; i++) {
      const candidate = this.volunteers[(this.roundRobin + i) % this.volunteers.length];
      if (exclude.has(candidate)) continue;
      this.roundRobin = (this.roundRobin + i + 1) % this.volunteers.length;
      return candidate;
    }
    return null;
  }

  private askWithTimeout(volunteer: Volunteer, offer: SignalBlob): Promise<SignalBlob | null> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(this.settings.answerTimeoutMs, () => {
        this.stats.answerTimeouts++;
        resolve(null);
      });
      volunteer.answer(offer, this.newIntroId()).then(
        (answer) => {
          this.clock.clearTimer(timer);
          resolve(answer.kind === 'answer' ? answer : null);
        },
        () => {
          this.clock.clearTimer(timer);
          resolve(null);
        },
      );
    });
  }
}

type Role = 'unknown' | 'joiner' | 'volunteer';
type JoinStep = 'held' | 'ready' | 'offered';

/** One socket: its role, its rate limit, and (for volunteers) the offers it owes answers to. */
class Connection {
  isOpen = true;
  private role: Role = 'unknown';
  private joinStep: JoinStep = 'held';
  private tokens: number;
  private lastRefill: number;
  private timer: TimerHandle | null;
  private volunteer: Volunteer | null = null;
  private readonly owed = new Map<string, { resolve(answer: SignalBlob): void; reject(error: Error): void; timer: TimerHandle }>();

  constructor(
    private readonly introducer: Introducer,
    private readonly socket: IntroducerSocket,
  ) {
    this.tokens = introducer.settings.rateBurst;
    this.lastRefill = introducer.clock.now();
    this.timer = introducer.clock.setTimer(introducer.settings.helloTimeoutMs, () =>
      this.fail('timeout', "say 'join' or 'volunteer' first"),
    );
  }

  receive(text: string | null): void {
    if (!this.isOpen) return;
    if (text === null) return this.fail('bad-json', 'frames are JSON text, not binary');
    const decoded = decodeClientFrame(text);
    if (!decoded.ok) return this.fail(decoded.code, decoded.message);
    const frame = decoded.frame;
    const owedAnswer = (frame.type === 'answer' || frame.type === 'decline') && this.owed.has(frame.intro);
    if (!owedAnswer && !this.takeToken()) return this.fail('rate-limited', 'too many frames, slow down');
    this.handle(frame);
  }

  ready(): void {
    this.joinStep = 'ready';
    this.send({ type: 'ready' });
  }

  /** The last frame of a join; we close, the joiner needs nothing more from us. */
  finish(frame: ServerFrame): void {
    this.send(frame);
    this.closeSocket(CLOSE_NORMAL, 'done');
  }

  fail(code: ErrorCode, message: string): void {
    if (!this.isOpen) return;
    this.introducer.countError(code);
    this.send({ type: 'error', code, message });
    this.closeSocket(CLOSE_CODE_FOR[code] ?? CLOSE_POLICY, code);
  }

  dispose(): void {
    this.isOpen = false;
    if (this.timer !== null) this.introducer.clock.clearTimer(this.timer);
    this.timer = null;
    if (this.volunteer) this.introducer.removeVolunteer(this.volunteer);
    this.volunteer = null;
    for (const pending of this.owed.values()) {
      this.introducer.clock.clearTimer(pending.timer);
      pending.reject(new Error('volunteer went away'));
    }
    this.owed.clear();
  }

  private handle(frame: ClientFrame): void {
    switch (frame.type) {
      case 'ping':
        return this.send({ type: 'pong' });
      case 'pong':
        return;
      case 'join':
        if (this.role !== 'unknown') return this.fail('unexpected', `'join' on a ${this.role} connection`);
        this.role = 'joiner';
        this.resetTimer(this.introducer.settings.joinTimeoutMs, () => this.fail('timeout', 'the join took too long'));
        return this.introducer.onJoin(this);
      case 'offer':
        if (this.role !== 'joiner' || this.joinStep !== 'ready') return this.fail('unexpected', "'offer' before 'ready'");
        this.joinStep = 'offered';
        void this.introducer.introduce(this, frame.offer);
        return;
      case 'volunteer':
        if (this.role !== 'unknown') return this.fail('unexpected', `'volunteer' on a ${this.role} connection`);
        this.role = 'volunteer';
        this.clearTimer();
        this.volunteer = { answer: (offer, intro) => this.relayOffer(offer, intro), connection: this };
        this.send({ type: 'volunteering' });
        return this.introducer.addVolunteer(this.volunteer);
      case 'answer':
      case 'decline': {
        const pending = this.owed.get(frame.intro);
        if (!pending) return; // a late reply to an offer that timed out: harmless, already charged a token
        this.owed.delete(frame.intro);
        this.introducer.clock.clearTimer(pending.timer);
        if (frame.type === 'answer') pending.resolve(frame.answer);
        else pending.reject(new Error('declined'));
        return;
      }
    }
  }

  private relayOffer(offer: SignalBlob, intro: string): Promise<SignalBlob> {
    if (!this.isOpen) return Promise.reject(new Error('volunteer went away'));
    return new Promise((resolve, reject) => {
      // Forget the debt when the introducer gives up on it, so the map stays bounded.
      const timer = this.introducer.clock.setTimer(this.introducer.settings.answerTimeoutMs, () => {
        if (this.owed.delete(intro)) reject(new Error('timeout'));
      });
      this.owed.set(intro, { resolve, reject, timer });
      this.send({ type: 'offer', intro, offer: { kind: 'offer', data: offer.data } });
    });
  }

  private takeToken(): boolean {
    const { rateBurst, ratePerSecond } = this.introducer.settings;
    const now = this.introducer.clock.now();
    this.tokens = Math.min(rateBurst, this.tokens + ((now - this.lastRefill) / 1000) * ratePerSecond);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private send(frame: ServerFrame): void {
    if (!this.isOpen) return;
    try {
      this.socket.send(JSON.stringify(frame));
    } catch {
      // The socket is already failing; its close event cleans us up.
    }
  }

  private closeSocket(code: number, reason: string): void {
    if (!this.isOpen) return;
    // Withdraw at once: a volunteer on its way out must not be handed another offer.
    this.dispose();
    try {
      this.socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  private resetTimer(ms: number, onTimeout: () => void): void {
    this.clearTimer();
    this.timer = this.introducer.clock.setTimer(ms, onTimeout);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.introducer.clock.clearTimer(this.timer);
    this.timer = null;
  }
}
