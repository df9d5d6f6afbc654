// The node's side of the introduction protocol (protocol.ts), for browser tabs and Node peers alike.
// The WebSocket implementation is injected: browsers pass `WebSocket`, Node 20 passes `ws` (it has
// no global WebSocket).
//
//   const signaller = await bootstrapSignaller(url, WebSocket);   // null: we are the first node
//   await node.start(signaller);
//   const volunteering = volunteer(url, transport, WebSocket);    // answer offers of later joiners

import type { Clock, SignalBlob, Signaller, TimerHandle, Transport } from '../environment.js';
import { realClock } from '../transports/real-environment.js';
import { decodeServerFrame, type ClientFrame, type ErrorCode, type ServerFrame } from './protocol.js';

/** What we need of a WebSocket: the common ground of the browser's and `ws`'s. */
export interface WebSocketLike {
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export class BootstrapError extends Error {
  constructor(
    readonly code: ErrorCode | 'closed' | 'protocol',
    message: string,
  ) {
    super(`bootstrap: ${message} (${code})`);
    this.name = 'BootstrapError';
  }
}

export interface BootstrapOptions {
  /** Whole introduction, from connecting to the answer (the server may hold us while a first node starts). */
  timeoutMs?: number;
  /** Timers come from here (STYLE: time is injected); the wall clock when not given. */
  clock?: Clock;
  /** Closes the socket (before or after 'ready'): the joiner went in through another entry point. */
  signal?: AbortSignal;
}

/**
 * Asks the introducer at `url` (ws://host/bootstrap) for a first link. Resolves with a Signaller that
 * carries our one offer to one volunteer and brings back its answer, or with null when there is no
 * node yet and we should start a new ring.
 */
export function bootstrapSignaller(
  url: string,
  WebSocketImpl: WebSocketConstructor,
  options: BootstrapOptions = {},
): Promise<Signaller | null> {
  const session = new IntroSession(url, WebSocketImpl, options.clock ?? realClock, options.timeoutMs ?? 60_000);
  const { signal } = options;
  if (signal?.aborted) session.abort(new BootstrapError('closed', 'aborted'));
  signal?.addEventListener('abort', () => session.abort(new BootstrapError('closed', 'aborted')), { once: true });
  session.send({ type: 'join' });
  return session.next().then((frame) => {
    if (frame.type === 'first') {
      session.close();
      return null;
    }
    if (frame.type !== 'ready') throw session.abort(new BootstrapError('protocol', `unexpected '${frame.type}'`));
    let used = false;
    return async (offer: SignalBlob): Promise<SignalBlob> => {
      if (used) throw new BootstrapError('protocol', 'a bootstrap signaller carries one offer only');
      used = true;
      session.send({ type: 'offer', offer: { kind: 'offer', data: offer.data } });
      const reply = await session.next();
      session.close();
      if (reply.type !== 'answer') throw new BootstrapError('protocol', `unexpected '${reply.type}'`);
      return reply.answer;
    };
  });
}

export interface Volunteering {
  /** Resolves once the introducer has us on its list. */
  readonly ready: Promise<void>;
  /** Resolves when the socket is gone: we closed it, the server let us go (reason 'replaced'), or it died. */
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly stats: { offers: number; answered: number; declined: number; meets: number };
  close(): void;
}

/**
 * Called when the introducer asks us to meet another volunteer: `signal` carries one offer to it and
 * brings its answer back (the node dials through it and checks whether it is our ring).
 */
export type MeetHandler = (signal: Signaller) => void;

/**
 * Keeps a socket open to the introducer and answers the offers it relays with `transport.answer()`;
 * the resulting links reach the node through the transport's onLink like any other. With `onMeet`
 * we also take the introducer's requests to dial another volunteer; without it we decline them.
 */
export function volunteer(
  url: string,
  transport: Pick<Transport, 'localId' | 'answer'>,
  WebSocketImpl: WebSocketConstructor,
  onMeet?: MeetHandler,
): Volunteering {
  const stats = { offers: 0, answered: 0, declined: 0, meets: 0 };
  const session = new IntroSession(url, WebSocketImpl, realClock, null);
  session.send({ type: 'volunteer', id: transport.localId });
  // One meet at a time, from the introducer's 'meet' until its answer (or failure) comes back.
  let meeting = false;
  let meetReply: { resolve(answer: SignalBlob): void; reject(error: Error): void } | null = null;
  const ready = session.next().then((frame) => {
    if (frame.type !== 'volunteering') throw session.abort(new BootstrapError('protocol', `unexpected '${frame.type}'`));
    session.onFrame = (next) => {
      if (next.type === 'meet') {
        if (!onMeet || meeting) return session.send({ type: 'meet-declined' });
        meeting = true;
        stats.meets++;
        let used = false;
        onMeet((offer) => {
          if (used) return Promise.reject(new BootstrapError('protocol', 'a meet carries one offer only'));
          used = true;
          return new Promise<SignalBlob>((resolve, reject) => {
            meetReply = { resolve, reject };
            session.send({ type: 'meet-offer', offer: { kind: 'offer', data: offer.data } });
            void session.closed.then(() => reject(new BootstrapError('closed', 'introducer went away during a meet')));
          });
        });
        return;
      }
      if (next.type === 'meet-answer' || next.type === 'meet-failed') {
        const reply = meetReply;
        meetReply = null;
        meeting = false;
        if (next.type === 'meet-answer') reply?.resolve(next.answer);
        else reply?.reject(new BootstrapError('no-answer', 'no other volunteer answered the meet'));
        return;
      }
      if (next.type !== 'offer') return;
      stats.offers++;
      transport.answer(null, next.offer).then(
        (answer) => {
          stats.answered++;
          session.send({ type: 'answer', intro: next.intro, answer: { kind: 'answer', data: answer.data } });
        },
        () => {
          stats.declined++;
          session.send({ type: 'decline', intro: next.intro });
        },
      );
    };
  });
  ready.catch(() => {});
  return { ready, closed: session.closed, stats, close: () => session.close() };
}

/**
 * One introduction socket: queues outgoing frames until open, answers pings, and turns incoming
 * frames into either next() results or onFrame calls. Errors from the server end it.
 */
class IntroSession {
  onFrame: ((frame: ServerFrame) => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly socket: WebSocketLike;
  private open = false;
  private ended: Error | null = null;
  private readonly outbox: string[] = [];
  private readonly inbox: ServerFrame[] = [];
  private waiter: { resolve(frame: ServerFrame): void; reject(error: Error): void } | null = null;
  private timer: TimerHandle | null = null;
  /** The introducer's error code, if it sent one: a clearer close reason than the socket's. */
  private errorCode: string | null = null;

  constructor(
    url: string,
    WebSocketImpl: WebSocketConstructor,
    private readonly clock: Clock,
    timeoutMs: number | null,
  ) {
    let resolveClosed!: (info: { code: number; reason: string }) => void;
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    if (timeoutMs !== null) {
      this.timer = clock.setTimer(timeoutMs, () => this.abort(new BootstrapError('timeout', `no introduction within ${timeoutMs} ms`)));
    }
    this.socket = new WebSocketImpl(url);
    this.socket.onopen = () => {
      this.open = true;
      for (const text of this.outbox.splice(0)) this.socket.send(text);
    };
    this.socket.onmessage = (event: { data: unknown }) => this.receive(event.data);
    this.socket.onerror = () => {}; // the close event follows with the details we have
    this.socket.onclose = (event: { code?: number; reason?: string }) => {
      const code = event?.code ?? 1006;
      const reason = this.errorCode ?? event?.reason ?? '';
      this.end(new BootstrapError('closed', `connection closed (${code}${reason ? ` ${reason}` : ''})`));
      resolveClosed({ code, reason });
    };
  }

  send(frame: ClientFrame): void {
    if (this.ended) return;
    const text = JSON.stringify(frame);
    if (this.open) this.socket.send(text);
    else this.outbox.push(text);
  }

  next(): Promise<ServerFrame> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  close(): void {
    this.end(new BootstrapError('closed', 'closed locally'));
  }

  /** Ends the session with `error` (for pending next() calls) and returns it, for `throw session.abort(...)`. */
  abort(error: BootstrapError): BootstrapError {
    this.end(error);
    return error;
  }

  private receive(data: unknown): void {
    if (this.ended) return;
    const frame = typeof data === 'string' ? decodeServerFrame(data) : null;
    if (!frame) return void this.abort(new BootstrapError('protocol', 'unreadable frame from the introducer'));
    if (frame.type === 'ping') return this.send({ type: 'pong' });
    if (frame.type === 'pong') return;
    if (frame.type === 'error') this.errorCode = frame.code;
    if (frame.type === 'error') return void this.abort(new BootstrapError(frame.code, frame.message));
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve(frame);
    } else if (this.onFrame) {
      this.onFrame(frame);
    } else {
      this.inbox.push(frame);
    }
  }

  private end(error: Error): void {
    if (this.ended) return;
    this.ended = error;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.waiter?.reject(error);
    this.waiter = null;
    try {
      this.socket.close(1000, 'done');
    } catch {
      // not open yet or already closed
    }
  }
}

export interface KeepVolunteeringOptions {
  /**
   * First retry delay after the socket is lost; doubles up to maxRetryMs (10 s: volunteers are back
   * soon after an introducer restarts, and a restarted one should hear from them before it says 'first').
   */
  retryMs?: number;
  maxRetryMs?: number;
  onState?: (state: 'volunteering' | 'retrying' | 'replaced') => void;
  /** Take the introducer's requests to meet other volunteers (see volunteer()). */
  onMeet?: MeetHandler;
  /** Retry timers come from here; the wall clock when not given. */
  clock?: Clock;
}

/**
 * volunteer() that comes back after the introducer restarts or the network blips, with backoff.
 * It stops for good when the introducer lets us go for a newer volunteer ('replaced'): coming back
 * would only push another node out of its bounded list.
 */
export function keepVolunteering(
  url: string,
  transport: Pick<Transport, 'localId' | 'answer'>,
  WebSocketImpl: WebSocketConstructor,
  options: KeepVolunteeringOptions = {},
): { stop(): void } {
  const retryMs = options.retryMs ?? 2_000;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  let delay = retryMs;
  let current: Volunteering | null = null;
  const clock = options.clock ?? realClock;
  let timer: TimerHandle | null = null;
  let stopped = false;

  const attempt = () => {
    timer = null;
    if (stopped) return;
    const session = volunteer(url, transport, WebSocketImpl, options.onMeet);
    current = session;
    session.ready.then(
      () => {
        delay = retryMs;
        options.onState?.('volunteering');
      },
      () => {},
    );
    void session.closed.then(({ reason }) => {
      if (stopped || current !== session) return;
      if (reason === 'replaced') return options.onState?.('replaced');
      options.onState?.('retrying');
      timer = clock.setTimer(delay, attempt);
      delay = Math.min(delay * 2, maxRetryMs);
    });
  };
  attempt();

  return {
    stop() {
      stopped = true;
      if (timer !== null) clock.clearTimer(timer);
      current?.close();
    },
  };
}
