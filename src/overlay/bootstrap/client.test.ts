import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/virtual-clock.js';
import type { SignalBlob, Signaller } from '../environment.js';
import { BootstrapError, bootstrapSignaller, keepVolunteering, volunteer, type MeetHandler, type WebSocketLike } from './client.js';

/** A socket to an introducer that never answers; counts the sockets opened. */
function silentSocket(opened: { count: number }) {
  return class implements WebSocketLike {
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: unknown) => void) | null = null;
    onclose: ((event: unknown) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    constructor() {
      opened.count++;
    }
    send(): void {}
    close(): void {
      queueMicrotask(() => this.onclose?.({ code: 1000, reason: 'done' }));
    }
  };
}

/** Sockets to an introducer that never answers, each kept (to be lost at will) and counted. */
function volunteerWithSilentIntroducer() {
  const clock = new VirtualClock();
  const opened = { count: 0 };
  const sockets: WebSocketLike[] = [];
  const Socket = silentSocket(opened);
  const Tracked = class extends Socket {
    constructor() {
      super();
      sockets.push(this);
    }
  };
  const transport = { localId: '0'.repeat(32) as never, answer: async () => ({ kind: 'answer' as const, data: '' }) };
  return { clock, opened, sockets, Tracked, transport };
}

/** A volunteer whose introducer is the test: `hear` plays its frames, `sent` records ours. */
async function volunteeringAtScriptedIntroducer(onMeet: MeetHandler | undefined) {
  const sent: unknown[] = [];
  let socket!: WebSocketLike;
  const Scripted = class implements WebSocketLike {
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: unknown) => void) | null = null;
    onclose: ((event: unknown) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    constructor() {
      socket = this;
      queueMicrotask(() => this.onopen?.({}));
    }
    send(text: string): void {
      sent.push(JSON.parse(text));
    }
    close(): void {}
  };
  const transport = { localId: 'ab'.repeat(16) as never, answer: async () => ({ kind: 'answer' as const, data: '' }) };
  const volunteering = volunteer('ws://introducer/bootstrap', transport, Scripted, onMeet);
  const hear = (frame: unknown) => socket.onmessage?.({ data: JSON.stringify(frame) });
  await Promise.resolve();
  hear({ type: 'volunteering' });
  await volunteering.ready;
  return { sent, hear, volunteering };
}

describe('bootstrap client', () => {
  it('times an introduction out on the injected clock, not the wall clock', async () => {
    const clock = new VirtualClock();
    const pending = bootstrapSignaller('ws://introducer/bootstrap', silentSocket({ count: 0 }), { timeoutMs: 5_000, clock });
    const outcome = pending.then(() => 'answered', (error: unknown) => error);
    // What the promise holds right now, without waiting on any wall-clock timer.
    const now = () => Promise.race([outcome, new Promise((resolve) => setImmediate(() => resolve('still waiting')))]);
    await clock.advance(4_999);
    expect(await now()).toBe('still waiting');
    await clock.advance(1);
    const error = await now();
    expect(error).toBeInstanceOf(BootstrapError);
    expect((error as BootstrapError).code).toBe('timeout');
  });

  it('retries volunteering after the socket is lost on the injected clock, with backoff', async () => {
    const { clock, opened, sockets, Tracked, transport } = volunteerWithSilentIntroducer();
    const volunteering = keepVolunteering('ws://introducer/bootstrap', transport, Tracked, { clock, retryMs: 1_000, maxRetryMs: 4_000 });
    const lose = async () => {
      sockets.at(-1)!.onclose?.({ code: 1006, reason: '' });
      await clock.advance(0);
    };
    await lose();
    await clock.advance(999);
    expect(opened.count).toBe(1);
    await clock.advance(1);
    expect(opened.count).toBe(2); // 1 s after the first loss
    await lose();
    await clock.advance(1_999);
    expect(opened.count).toBe(2);
    await clock.advance(1);
    expect(opened.count).toBe(3); // then 2 s
    volunteering.stop();
  });

  it('takes a meet: the offer the node dials with goes to the introducer, its answer comes back', async () => {
    const meets: Signaller[] = [];
    const { sent, hear, volunteering } = await volunteeringAtScriptedIntroducer((signal) => meets.push(signal));
    hear({ type: 'meet' });
    hear({ type: 'meet' }); // a second request while one is under way is declined
    expect(meets).toHaveLength(1);
    expect(sent).toContainEqual({ type: 'meet-declined' });
    const answered: Promise<SignalBlob> = meets[0]({ kind: 'offer', data: 'v=0 offer' });
    expect(sent.at(-1)).toEqual({ type: 'meet-offer', offer: { kind: 'offer', data: 'v=0 offer' } });
    hear({ type: 'meet-answer', answer: { kind: 'answer', data: 'v=0 answer' } });
    expect(await answered).toEqual({ kind: 'answer', data: 'v=0 answer' });
    await expect(meets[0]({ kind: 'offer', data: 'again' })).rejects.toThrow(/one offer/);
    volunteering.close();
  });

  it('declines a meet when the node takes none', async () => {
    const { sent, hear, volunteering } = await volunteeringAtScriptedIntroducer(undefined);
    hear({ type: 'meet' });
    expect(sent.at(-1)).toEqual({ type: 'meet-declined' });
    volunteering.close();
  });

  it('closes the introduction socket when the join went in through another entry point (abort)', async () => {
    const closed: number[] = [];
    const Socket = class extends silentSocket({ count: 0 }) {
      override close(): void {
        closed.push(1);
        super.close();
      }
    };
    const abort = new AbortController();
    const pending = bootstrapSignaller('ws://introducer/bootstrap', Socket, { timeoutMs: 60_000, clock: new VirtualClock(), signal: abort.signal });
    const outcome = pending.then(() => 'answered', (error: unknown) => error);
    abort.abort();
    expect(await outcome).toBeInstanceOf(BootstrapError);
    expect(closed.length).toBe(1);
  });

  it('backs off volunteering to at most 10 s by default, so volunteers return soon after a restart', async () => {
    const { clock, opened, sockets, Tracked, transport } = volunteerWithSilentIntroducer();
    const volunteering = keepVolunteering('ws://introducer/bootstrap', transport, Tracked, { clock });
    for (let i = 0; i < 8; i++) {
      sockets.at(-1)!.onclose?.({ code: 1006, reason: '' });
      await clock.advance(0);
      await clock.advance(10_000);
    }
    expect(opened.count).toBe(9); // each loss, however many, is retried within 10 s
    volunteering.stop();
  });
});
