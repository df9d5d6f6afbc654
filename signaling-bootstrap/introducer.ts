// The introducer: the server side of the introduction protocol (src/overlay/bootstrap/protocol.ts).
// It relays ONE joiner's offer to ONE volunteer and the answer back, and that is all: no node list,
// no routing, no storage beyond the open sockets of the volunteers (bounded).
//
// It knows nothing of WebSockets: a connection is anything with send(text) and close(code, reason),
// so the bootstrap server (introduction-socket.ts over `ws`) and a headless seed peer share this
// file, and tests can drive it directly. Volunteers are either remote sockets or in-process (a seed
// peer answering with its own transport).

import type { Clock, SignalBlob, TimerHandle } from '../src/overlay/environment.js';
import { ERROR_CODES, type ErrorCode } from '../src/overlay/bootstrap/protocol.js';
import { introducerSettings, type IntroducerConfig } from './introducer-config.js';
import { Connection, type ConnectionHost, type IntroducerSocket, type Volunteer } from './introducer-connection.js';

export type { IntroducerSocket } from './introducer-connection.js';

/** Any of the limits (DEFAULT_INTRODUCER where not given), and the clock the timers run on. */
export interface IntroducerOptions extends Partial<IntroducerConfig> {
  clock: Clock;
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
  /** Volunteers asked to meet another volunteer, and meets whose answer reached the first. */
  meetsAsked: number;
  meetsIntroduced: number;
  answerTimeouts: number;
  /** Volunteers let go because they stayed silent on an introduction (never pushed out again by fakes). */
  silentVolunteersDropped: number;
  evictions: number;
  /** Connections refused because their address already had maxConnectionsPerAddress open. */
  refusedPerAddress: number;
  errors: Record<ErrorCode, number>;
}

export class Introducer implements ConnectionHost {
  readonly stats: IntroducerStats = {
    connections: 0,
    openConnections: 0,
    volunteers: 0,
    joins: 0,
    introductions: 0,
    firstNodeGrants: 0,
    failedIntroductions: 0,
    meetsAsked: 0,
    meetsIntroduced: 0,
    answerTimeouts: 0,
    silentVolunteersDropped: 0,
    evictions: 0,
    refusedPerAddress: 0,
    errors: Object.fromEntries(ERROR_CODES.map((code) => [code, 0])) as Record<ErrorCode, number>,
  };
  readonly clock: Clock;
  readonly settings: IntroducerConfig;
  private readonly open = new Set<Connection>();
  private readonly volunteers: Volunteer[] = [];
  private roundRobin = 0;
  private readonly held: Connection[] = [];
  private firstGrantBlockedUntil = -Infinity;
  private graceTimer: TimerHandle | null = null;
  private nextIntro = 0;
  private meetingUntil: number;
  private readonly meetTimes: number[] = [];
  private readonly openPerAddress = new Map<string, number>();
  private lastServedAt = -Infinity;

  constructor(options: IntroducerOptions) {
    this.clock = options.clock;
    this.settings = introducerSettings(options);
    this.firstGrantBlockedUntil = this.clock.now() + this.settings.returnWindowMs;
    this.meetingUntil = this.clock.now() + this.settings.meetWindowMs;
  }

  /** A new socket. Feed it every text frame with receive(), and call closed() when it goes away. */
  connect(socket: IntroducerSocket, address = 'local'): { receive(text: string | null): void; closed(): void } {
    const connection = new Connection(this, socket, address);
    this.stats.connections++;
    const fromAddress = this.openPerAddress.get(address) ?? 0;
    if (this.open.size >= this.settings.maxConnections) {
      connection.fail('busy', 'too many connections, try again later');
    } else if (fromAddress >= this.settings.maxConnectionsPerAddress) {
      this.stats.refusedPerAddress++;
      connection.fail('busy', 'too many connections from your address');
    } else {
      this.open.add(connection);
      this.openPerAddress.set(address, fromAddress + 1);
      this.stats.openConnections = this.open.size;
    }
    return {
      receive: (text) => connection.receive(text),
      closed: () => this.forget(connection),
    };
  }

  /** An in-process volunteer (a seed peer's own node). Returns a function that withdraws it. */
  addLocalVolunteer(answer: (offer: SignalBlob) => Promise<SignalBlob>): () => void {
    const volunteer: Volunteer = { answer: (offer) => answer(offer), connection: null, proven: true };
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
    if (this.mayGrantFirst()) return this.grantFirst(joiner);
    this.held.push(joiner);
    this.scheduleGraceCheck();
  }

  async introduce(joiner: Connection, offer: SignalBlob): Promise<void> {
    const tried = new Set<Volunteer>();
    const answer = await this.firstAnswer(joiner, offer, tried);
    if (answer) {
      this.stats.introductions++;
      joiner.finish({ type: 'answer', answer: { kind: 'answer', data: answer.data } });
      return;
    }
    if (!joiner.isOpen) return;
    this.stats.failedIntroductions++;
    if (tried.size === 0) joiner.fail('no-volunteer', 'no node can introduce you right now, try again');
    else joiner.fail('no-answer', 'no volunteer answered your offer, try again');
  }

  addVolunteer(volunteer: Volunteer): void {
    const connection = volunteer.connection;
    if (connection) {
      // Make room: first this address's oldest, then the oldest volunteer not yet proven. Proven ones
      // are never pushed out: fakes that never answer must not be able to flush the list.
      const remote = this.volunteers.filter((v) => v.connection !== null);
      const sameAddress = remote.filter((v) => v.connection!.address === connection.address);
      const leaving = sameAddress.length >= this.settings.maxVolunteersPerAddress
        ? sameAddress[0]
        : remote.length >= this.settings.maxVolunteers ? remote.find((v) => !v.proven) : undefined;
      if (leaving) {
        this.stats.evictions++;
        leaving.connection!.fail('replaced', 'a newer volunteer took your place');
      } else if (remote.length >= this.settings.maxVolunteers) {
        this.stats.evictions++;
        return connection.fail('replaced', 'the volunteer list is full of proven volunteers');
      }
    }
    const others = this.volunteers.length;
    this.volunteers.push(volunteer);
    this.stats.volunteers = this.volunteers.length;
    for (const joiner of this.held.splice(0)) if (joiner.isOpen) joiner.ready();
    if (volunteer.connection && others > 0 && this.mayStartMeet()) {
      this.stats.meetsAsked++;
      volunteer.connection.askToMeet();
    }
  }

  /** A volunteer we asked to meet sent its offer: relay it to another volunteer, the answer back. */
  async introduceMeet(from: Connection, offer: SignalBlob): Promise<void> {
    const answer = await this.firstAnswer(from, offer, new Set(this.volunteers.filter((v) => v.connection === from)));
    if (!answer) return from.meetFailed();
    this.stats.meetsIntroduced++;
    from.meetAnswered(answer);
  }

  /**
   * Offers `offer` to one volunteer not in `tried` after another (maxAttempts at most, each added to
   * `tried`) until one answers while `asker` is still open; undefined when none did.
   */
  private async firstAnswer(asker: Connection, offer: SignalBlob, tried: Set<Volunteer>): Promise<SignalBlob | undefined> {
    for (let attempt = 0; attempt < this.settings.maxAttempts && asker.isOpen; attempt++) {
      const volunteer = this.pickVolunteer(tried);
      if (!volunteer) break;
      tried.add(volunteer);
      const answer = await this.askWithTimeout(volunteer, offer);
      if (answer && asker.isOpen) return answer;
    }
    return undefined;
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
    if (this.open.delete(connection)) {
      const left = (this.openPerAddress.get(connection.address) ?? 1) - 1;
      if (left > 0) this.openPerAddress.set(connection.address, left);
      else this.openPerAddress.delete(connection.address);
    }
    this.stats.openConnections = this.open.size;
    const heldIndex = this.held.indexOf(connection);
    if (heldIndex >= 0) this.held.splice(heldIndex, 1);
  }

  /** "first" starts a ring: never inside the return window, nor while a ring served here recently. */
  private mayGrantFirst(): boolean {
    const now = this.clock.now();
    return now >= this.firstGrantBlockedUntil && now - this.lastServedAt >= this.settings.servedRecentlyMs;
  }

  /** Inside a meet window and under the rate: the window opens at start and again with each "first". */
  private mayStartMeet(): boolean {
    const now = this.clock.now();
    if (now >= this.meetingUntil) return false;
    while (this.meetTimes.length > 0 && this.meetTimes[0] <= now - 60_000) this.meetTimes.shift();
    if (this.meetTimes.length >= this.settings.meetsPerMinute) return false;
    this.meetTimes.push(now);
    return true;
  }

  private grantFirst(joiner: Connection): void {
    this.stats.firstNodeGrants++;
    this.firstGrantBlockedUntil = this.clock.now() + this.settings.firstGraceMs;
    this.meetingUntil = Math.max(this.meetingUntil, this.clock.now() + this.settings.meetWindowMs);
    joiner.finish({ type: 'first' });
  }

  private scheduleGraceCheck(): void {
    if (this.graceTimer !== null) return;
    const firstAllowedAt = Math.max(this.firstGrantBlockedUntil, this.lastServedAt + this.settings.servedRecentlyMs);
    const wait = Math.max(0, firstAllowedAt - this.clock.now());
    this.graceTimer = this.clock.setTimer(wait, () => {
      this.graceTimer = null;
      // The node told "first" never volunteered (it failed, or does not volunteer): next in line starts the ring.
      const next = this.held.shift();
      if (next) this.onJoinAgain(next);
      if (this.held.length > 0) this.scheduleGraceCheck();
    });
  }

  private onJoinAgain(joiner: Connection): void {
    if (!joiner.isOpen) return;
    if (this.volunteers.length > 0) joiner.ready();
    else if (this.mayGrantFirst()) this.grantFirst(joiner);
    else {
      this.held.unshift(joiner);
      this.scheduleGraceCheck();
    }
  }

  /** Round robin, proven volunteers first: an unproven one may be a fake that never answers. */
  private pickVolunteer(exclude: Set<Volunteer>): Volunteer | null {
    for (const provenOnly of [true, false]) {
      for (let i = 0; i < this.volunteers.length; i++) {
        const candidate = this.volunteers[(this.roundRobin + i) % this.volunteers.length];
        if (exclude.has(candidate) || (provenOnly && !candidate.proven)) continue;
        this.roundRobin = (this.roundRobin + i + 1) % this.volunteers.length;
        return candidate;
      }
    }
    return null;
  }

  private askWithTimeout(volunteer: Volunteer, offer: SignalBlob): Promise<SignalBlob | null> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(this.settings.answerTimeoutMs, () => {
        this.stats.answerTimeouts++;
        // Silence is not a busy tab (that declines): let it go, so it costs one joiner one timeout at most.
        if (volunteer.connection) {
          this.stats.silentVolunteersDropped++;
          volunteer.connection.fail('timeout', 'no answer to an introduction');
        }
        resolve(null);
      });
      volunteer.answer(offer, this.newIntroId()).then(
        (answer) => {
          this.clock.clearTimer(timer);
          if (answer.kind === 'answer') {
            volunteer.proven = true;
            this.lastServedAt = this.clock.now();
          }
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
