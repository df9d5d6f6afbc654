// The ways into the overlay a tab knows, and how a join picks one.
//
// An entry point is a name and a function that gives a Signaller (carry our one offer to some node
// already in a ring and bring back its answer), null ("nobody is there: you are the first node"), or
// fails. The origin's introducer, configured and learned seed peers, another tab of this browser
// (BroadcastChannel) and, later, an invite are all entry points; the Pastry node never learns which
// one it joined through.
//
// The order: entry points are started one after another, each given a head start; the next one
// starts as soon as the previous one fails, or when its head start is up while it is still trying
// (then both run). The first Signaller wins and the others are aborted. "You are first" counts only
// from an entry point that may say it (the origin's introducer: a seed is in a ring by definition)
// and only once every other entry point has failed: a restarted server says "first" while the ring
// it served lives on, and a seed we know of would take us back into that ring instead of a new one.

import { bootstrapSignaller, type WebSocketConstructor } from '../overlay/bootstrap/client.js';
import type { Clock, Signaller } from '../overlay/environment.js';

export interface EntryPoint {
  /** Shown in logs and the test handle: 'origin', 'same-browser', 'seed ws://…', 'learned ws://…'. */
  readonly name: string;
  /** Only the origin's introducer may answer "you are the first node". */
  readonly mayBeFirst?: boolean;
  /** Resolves with a Signaller, or null for "first"; rejects when unreachable. Stops on `signal`. */
  connect(signal: AbortSignal): Promise<Signaller | null>;
}

export interface EntryOutcome {
  /** The entry point that let us in (or told us we are first). */
  readonly entry: string;
  /** null: start a new ring. */
  readonly signaller: Signaller | null;
}

export class NoEntryPoint extends Error {
  constructor(readonly failures: readonly { entry: string; reason: string }[]) {
    super(`no entry point reachable (${failures.map((f) => `${f.entry}: ${f.reason}`).join('; ') || 'none known'})`);
    this.name = 'NoEntryPoint';
  }
}

export interface EnterOptions {
  clock: Clock;
  /** How long an entry point runs alone before the next one starts beside it. */
  headStartMs: number;
  /** Aborts every attempt (the session ended). */
  signal?: AbortSignal;
}

/** Tries `entries` in order with head starts; see the file comment for the rules. */
export function enterThroughAny(entries: readonly EntryPoint[], options: EnterOptions): Promise<EntryOutcome> {
  return new Promise((resolve, reject) => {
    const failures: { entry: string; reason: string }[] = [];
    const controllers = entries.map(() => new AbortController());
    let first: string | null = null;
    let started = 0;
    let settled = 0;
    let done = false;
    let timer: ReturnType<Clock['setTimer']> | null = null;

    const finish = (outcome: EntryOutcome | Error, winner = -1) => {
      if (done) return;
      done = true;
      if (timer !== null) options.clock.clearTimer(timer);
      options.signal?.removeEventListener('abort', onAbort);
      controllers.forEach((controller, index) => index !== winner && controller.abort());
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = () => finish(new NoEntryPoint([...failures, { entry: 'all', reason: 'aborted' }]));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort);

    const settle = () => {
      settled++;
      if (done) return;
      if (started < entries.length) return startNext();
      if (settled < entries.length) return;
      if (first !== null) finish({ entry: first, signaller: null });
      else finish(new NoEntryPoint(failures));
    };
    const startNext = () => {
      if (timer !== null) options.clock.clearTimer(timer);
      timer = null;
      const index = started++;
      const entry = entries[index];
      const controller = controllers[index];
      if (index + 1 < entries.length) timer = options.clock.setTimer(options.headStartMs, startNext);
      let attempt: Promise<Signaller | null>;
      try {
        attempt = entry.connect(controller.signal);
      } catch (error) {
        attempt = Promise.reject(error);
      }
      attempt.then(
        (signaller) => {
          if (signaller !== null) return finish({ entry: entry.name, signaller }, index);
          if (entry.mayBeFirst) first ??= entry.name;
          else failures.push({ entry: entry.name, reason: 'said "first", which only the origin may' });
          settle();
        },
        (error: unknown) => {
          failures.push({ entry: entry.name, reason: error instanceof Error ? error.message : String(error) });
          settle();
        },
      );
    };
    if (entries.length === 0) return finish(new NoEntryPoint([]));
    startNext();
  });
}

/** An introducer (protocol.ts) at `url` as an entry point: the origin's (which may say "first"), or a seed's. */
export function introducerEntryPoint(
  name: string,
  url: string,
  options: { WebSocketImpl: WebSocketConstructor; timeoutMs: number; clock?: Clock; mayBeFirst?: boolean },
): EntryPoint {
  return {
    name,
    mayBeFirst: options.mayBeFirst,
    connect: (signal) => bootstrapSignaller(url, options.WebSocketImpl, { timeoutMs: options.timeoutMs, clock: options.clock, signal }),
  };
}
