// Same-browser joins with no server: a tab of this origin that is in the overlay introduces a new
// tab over a BroadcastChannel. The offer and the answer cross the channel; the new tab then joins
// through the introducing tab's node like through any introducer (the Pastry node never knows).
//
//   joiner     -> channel   { t: 'join', nonce }
//   introducer -> channel   { t: 'ready', nonce, from }          from: the introducer's token
//   joiner     -> channel   { t: 'offer', nonce, to, offer }     to the first introducer that was ready
//   introducer -> channel   { t: 'answer', nonce, from, answer } (or { t: 'decline', nonce, from })
//
// Only one tab of a browser needs to answer (boot holds a Web Lock for that); should two answer, the
// joiner takes the first 'ready' and names it in its offer, so the other stays out. Every message is
// validated (valibot), sizes are bounded, introductions in progress are few and time out.

import * as v from 'valibot';
import type { Clock, Random, SignalBlob, Signaller, TimerHandle } from '../overlay/environment.js';
import { MAX_SIGNAL_CHARS } from '../overlay/transports/frame-codec.js';
import type { EntryPoint } from './entry-points.js';

const BROADCAST_CHANNEL_NAME = 'dima-introducer';
export const SAME_BROWSER_ENTRY = 'same-browser';

export const BROADCAST_LIMITS = {
  /**
   * A joiner gives up on the channel when no tab is ready within this long (nobody joined here). A
   * tab of the same browser answers within milliseconds; failing early lets the next entry point
   * start before its head start is up.
   */
  readyTimeoutMs: 500,
  /** ...and on the answer after this long. */
  answerTimeoutMs: 15_000,
  /** An introducer forgets a 'ready' it sent when no offer followed within this long. */
  offerTimeoutMs: 10_000,
  /** Introductions one tab runs at once; more joins are ignored until one ends. */
  maxPending: 4,
} as const;

const token = v.pipe(v.string(), v.regex(/^[0-9a-f]{16,32}$/));
const sdp = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_SIGNAL_CHARS));
const Message = v.variant('t', [
  v.strictObject({ t: v.literal('join'), nonce: token }),
  v.strictObject({ t: v.literal('ready'), nonce: token, from: token }),
  v.strictObject({ t: v.literal('offer'), nonce: token, to: token, offer: v.strictObject({ kind: v.literal('offer'), data: sdp }) }),
  v.strictObject({ t: v.literal('answer'), nonce: token, from: token, answer: v.strictObject({ kind: v.literal('answer'), data: sdp }) }),
  v.strictObject({ t: v.literal('decline'), nonce: token, from: token }),
]);
type Message = v.InferOutput<typeof Message>;

/** What we use of a BroadcastChannel (node 20 and browsers have the real one; tests may fake it). */
export interface ChannelLike {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}
export type OpenChannel = () => ChannelLike;

export const openBroadcastChannel: OpenChannel = () => new BroadcastChannel(BROADCAST_CHANNEL_NAME) as unknown as ChannelLike;

export interface ChannelCounters {
  malformed: number;
  ignored: number;
  busy: number;
}

function decode(data: unknown, counters: ChannelCounters): Message | null {
  const parsed = v.safeParse(Message, data);
  if (parsed.success) return parsed.output;
  counters.malformed++;
  return null;
}

function newToken(random: Random): string {
  return Array.from(random.bytes(8), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface SameBrowserOptions {
  openChannel: OpenChannel;
  clock: Clock;
  random: Random;
  readyTimeoutMs?: number;
  answerTimeoutMs?: number;
  counters?: ChannelCounters;
}

/** The joiner's side, as an entry point: resolves once a tab is ready to carry our offer. */
export function sameBrowserEntryPoint(options: SameBrowserOptions): EntryPoint {
  return { name: SAME_BROWSER_ENTRY, connect: (signal) => askTheBrowser(options, signal) };
}

function askTheBrowser(options: SameBrowserOptions, signal: AbortSignal): Promise<Signaller> {
  const counters = options.counters ?? { malformed: 0, ignored: 0, busy: 0 };
  const { clock } = options;
  const nonce = newToken(options.random);
  const channel = options.openChannel();
  let timer: TimerHandle | null = null;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (timer !== null) clock.clearTimer(timer);
    channel.onmessage = null;
    channel.close();
  };

  return new Promise<Signaller>((resolve, reject) => {
    const fail = (reason: string) => {
      close();
      reject(new Error(reason));
    };
    if (signal.aborted) return fail('aborted');
    signal.addEventListener('abort', () => fail('aborted'), { once: true });
    timer = clock.setTimer(options.readyTimeoutMs ?? BROADCAST_LIMITS.readyTimeoutMs, () => fail('no tab of this browser is in the overlay'));
    let introducer: string | null = null;
    let awaiting: { resolve(answer: SignalBlob): void; reject(error: Error): void } | null = null;

    channel.onmessage = (event) => {
      const message = decode(event.data, counters);
      if (!message || message.nonce !== nonce) return;
      if (message.t === 'ready' && introducer === null) {
        introducer = message.from;
        if (timer !== null) clock.clearTimer(timer);
        timer = null;
        let used = false;
        resolve(async (offer) => {
          if (used || closed) throw new Error('a same-browser introduction carries one offer only');
          used = true;
          channel.postMessage({ t: 'offer', nonce, to: introducer, offer: { kind: 'offer', data: offer.data } });
          return new Promise<SignalBlob>((resolveAnswer, rejectAnswer) => {
            awaiting = { resolve: resolveAnswer, reject: rejectAnswer };
            timer = clock.setTimer(options.answerTimeoutMs ?? BROADCAST_LIMITS.answerTimeoutMs, () => {
              close();
              rejectAnswer(new Error('the introducing tab did not answer'));
            });
          });
        });
        return;
      }
      if ((message.t === 'answer' || message.t === 'decline') && message.from === introducer && awaiting) {
        const waiter = awaiting;
        awaiting = null;
        close();
        if (message.t === 'answer') waiter.resolve(message.answer);
        else waiter.reject(new Error('the introducing tab declined'));
        return;
      }
      counters.ignored++;
    };
    channel.postMessage({ t: 'join', nonce });
  });
}

export interface BroadcastIntroducerOptions {
  openChannel: OpenChannel;
  /** Our node's transport.answer(null, offer): the link then reaches our node like any other. */
  answer: (offer: SignalBlob) => Promise<SignalBlob>;
  clock: Clock;
  random: Random;
  maxPending?: number;
  offerTimeoutMs?: number;
}

/** The introducing tab's side: answers joins on the channel until stop(). */
export class BroadcastIntroducer {
  readonly counters: ChannelCounters & { introduced: number; declined: number } = { malformed: 0, ignored: 0, busy: 0, introduced: 0, declined: 0 };
  private readonly channel: ChannelLike;
  private readonly self: string;
  /** nonce -> the timer that forgets it. */
  private readonly pending = new Map<string, TimerHandle>();
  private stopped = false;

  constructor(private readonly options: BroadcastIntroducerOptions) {
    this.self = newToken(options.random);
    this.channel = options.openChannel();
    this.channel.onmessage = (event) => this.receive(event.data);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.pending.values()) this.options.clock.clearTimer(timer);
    this.pending.clear();
    this.channel.onmessage = null;
    this.channel.close();
  }

  private receive(data: unknown): void {
    if (this.stopped) return;
    const message = decode(data, this.counters);
    if (!message) return;
    if (message.t === 'join') {
      if (this.pending.has(message.nonce)) return void this.counters.ignored++;
      if (this.pending.size >= (this.options.maxPending ?? BROADCAST_LIMITS.maxPending)) return void this.counters.busy++;
      const forget = this.options.clock.setTimer(this.options.offerTimeoutMs ?? BROADCAST_LIMITS.offerTimeoutMs, () => this.pending.delete(message.nonce));
      this.pending.set(message.nonce, forget);
      this.channel.postMessage({ t: 'ready', nonce: message.nonce, from: this.self });
      return;
    }
    if (message.t === 'offer' && message.to === this.self && this.pending.has(message.nonce)) {
      const { nonce } = message;
      this.options.clock.clearTimer(this.pending.get(nonce)!);
      // Kept in pending until answered (with a timer of its own), so the bound covers answers in progress.
      this.pending.set(nonce, this.options.clock.setTimer(BROADCAST_LIMITS.answerTimeoutMs, () => this.pending.delete(nonce)));
      this.options.answer(message.offer).then(
        (answer) => {
          this.counters.introduced++;
          this.finish(nonce, { t: 'answer', nonce, from: this.self, answer: { kind: 'answer', data: answer.data } });
        },
        () => {
          this.counters.declined++;
          this.finish(nonce, { t: 'decline', nonce, from: this.self });
        },
      );
      return;
    }
    this.counters.ignored++;
  }

  private finish(nonce: string, reply: Message): void {
    const timer = this.pending.get(nonce);
    if (timer !== undefined) this.options.clock.clearTimer(timer);
    this.pending.delete(nonce);
    if (!this.stopped) this.channel.postMessage(reply);
  }
}
