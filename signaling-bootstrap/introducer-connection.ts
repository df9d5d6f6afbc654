// One socket of the introducer (introducer.ts): its role (joiner or volunteer), its rate limit, its
// timers, and for a volunteer the offers it owes answers to. The decisions that span connections
// (who volunteers, who is first, which volunteer gets an offer) stay in the Introducer; a connection
// sees it only through ConnectionHost.

import type { Clock, SignalBlob, TimerHandle } from '../src/overlay/environment.js';
import { decodeClientFrame, type ClientFrame, type ErrorCode, type ServerFrame } from '../src/overlay/bootstrap/protocol.js';

export interface IntroducerSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** What a connection needs of the introducer. */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly settings: {
    readonly rateBurst: number;
    readonly ratePerSecond: number;
    readonly helloTimeoutMs: number;
    readonly offerTimeoutMs: number;
    readonly joinTimeoutMs: number;
    readonly answerTimeoutMs: number;
  };
  onJoin(joiner: Connection): void;
  introduce(joiner: Connection, offer: SignalBlob): Promise<void>;
  introduceMeet(from: Connection, offer: SignalBlob): Promise<void>;
  addVolunteer(volunteer: Volunteer): void;
  removeVolunteer(volunteer: Volunteer): void;
  countError(code: ErrorCode): void;
}

/** Answers an offer for a joining node; the introducer applies the timeout. */
export type AnswerOffer = (offer: SignalBlob, intro: string) => Promise<SignalBlob>;

export interface Volunteer {
  readonly answer: AnswerOffer;
  /** Remote volunteers can be evicted; in-process ones (a seed's own node) are not. */
  readonly connection: Connection | null;
  /** Has answered an introduction: preferred for the next, and never pushed out by a newcomer. */
  proven: boolean;
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

type Role = 'unknown' | 'joiner' | 'volunteer';
type JoinStep = 'held' | 'ready' | 'offered';

/** One socket: its role, its rate limit, and (for volunteers) the offers it owes answers to. */
export class Connection {
  isOpen = true;
  private role: Role = 'unknown';
  private joinStep: JoinStep = 'held';
  private tokens: number;
  private lastRefill: number;
  private timer: TimerHandle | null;
  private volunteer: Volunteer | null = null;
  /** A volunteer asked to meet another: 'asked' until its offer comes, 'offered' until the answer. */
  private meetStep: 'none' | 'asked' | 'offered' | 'done' = 'none';
  private readonly owed = new Map<string, { resolve(answer: SignalBlob): void; reject(error: Error): void; timer: TimerHandle }>();

  constructor(
    private readonly introducer: ConnectionHost,
    private readonly socket: IntroducerSocket,
    /** The peer's network address ('local' for in-process tests): per-address caps count by it. */
    readonly address: string,
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
    // A joiner that holds its slot without offering (an idle socket) is let go soon.
    this.resetTimer(this.introducer.settings.offerTimeoutMs, () => this.fail('timeout', "no 'offer' after 'ready'"));
    this.send({ type: 'ready' });
  }

  /** The last frame of a join; we close, the joiner needs nothing more from us. */
  finish(frame: ServerFrame): void {
    this.send(frame);
    this.closeSocket(CLOSE_NORMAL, 'done');
  }

  /** Asks this volunteer to dial another volunteer through us (see Introducer.addVolunteer). */
  askToMeet(): void {
    if (this.meetStep !== 'none') return;
    this.meetStep = 'asked';
    this.send({ type: 'meet' });
  }

  meetAnswered(answer: SignalBlob): void {
    this.meetStep = 'done';
    this.send({ type: 'meet-answer', answer: { kind: 'answer', data: answer.data } });
  }

  meetFailed(): void {
    this.meetStep = 'done';
    this.send({ type: 'meet-failed' });
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
        this.resetTimer(this.introducer.settings.joinTimeoutMs, () => this.fail('timeout', 'the join took too long'));
        void this.introducer.introduce(this, frame.offer);
        return;
      case 'volunteer':
        if (this.role !== 'unknown') return this.fail('unexpected', `'volunteer' on a ${this.role} connection`);
        this.role = 'volunteer';
        this.clearTimer();
        this.volunteer = { answer: (offer, intro) => this.relayOffer(offer, intro), connection: this, proven: false };
        this.send({ type: 'volunteering' });
        return this.introducer.addVolunteer(this.volunteer);
      case 'meet-offer':
        // Only the one offer we asked for: a volunteer cannot make us dial others at will.
        if (this.role !== 'volunteer' || this.meetStep !== 'asked') return this.fail('unexpected', "'meet-offer' without 'meet'");
        this.meetStep = 'offered';
        void this.introducer.introduceMeet(this, frame.offer);
        return;
      case 'meet-declined':
        if (this.meetStep === 'asked') this.meetStep = 'done';
        return;
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
