// The tab's ICE loader: what it uses when the server answers, when it does not (the last good answer,
// then the page's meta tag), what it refuses, and when it refreshes.

import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../overlay/environment.js';
import { ICE_LIMITS, IceServersLoader, parseIceAnswer, type IceAnswer, type IceStore } from './ice-config.js';

class ManualClock implements Clock {
  time = Date.UTC(2026, 11, 2, 3, 0, 0);
  timers: { at: number; fn: () => void; handle: object }[] = [];
  now = () => this.time;
  setTimer = (ms: number, fn: () => void): TimerHandle => {
    const handle = {};
    this.timers.push({ at: this.time + ms, fn, handle });
    return handle;
  };
  clearTimer = (handle: TimerHandle) => {
    this.timers = this.timers.filter((t) => t.handle !== handle);
  };
  /** Moves time forward, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.time = next.at;
      next.fn();
      await flush();
    }
    this.time = end;
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function memoryStore(initial: string | null = null): IceStore & { text: string | null } {
  const store = { text: initial, load: () => store.text, save: (t: string) => void (store.text = t) };
  return store;
}

/** A fetch that answers from a queue of bodies (or failures), counting calls. */
function fakeFetch(replies: (string | 'offline' | 500)[]) {
  const calls: string[] = [];
  const fn = (async (url: string) => {
    calls.push(String(url));
    const reply = replies.length > 1 ? replies.shift()! : replies[0];
    if (reply === 'offline') throw new TypeError('Failed to fetch');
    if (reply === 500) return new Response('oops', { status: 500 });
    return new Response(reply, { headers: { 'Content-Type': 'application/json' } });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const turnAnswer = (clock: ManualClock, ttlMs = 3_600_000, user = 'u1'): IceAnswer => ({
  iceServers: [{ urls: 'stun:203.0.113.1:3478' }, { urls: ['turn:203.0.113.1:3478'], username: user, credential: 'c' }],
  expiresAt: clock.now() + ttlMs,
});
const META = [{ urls: 'stun:meta.example' }];

describe('the tab ICE loader', () => {
  it('uses the server answer, stores it, and refreshes at 3/4 of the remaining lifetime', async () => {
    const clock = new ManualClock();
    const store = memoryStore();
    const first = turnAnswer(clock);
    const second = { ...turnAnswer(clock, 2 * 3_600_000, 'u2') };
    const fetch = fakeFetch([JSON.stringify(first), JSON.stringify(second)]);
    const loader = new IceServersLoader({ url: 'https://chat.example/ice', fetch: fetch.fn, store, clock, fallback: META });
    expect(await loader.load()).toBe('server');
    expect(loader.current()).toEqual(first.iceServers);
    expect(parseIceAnswer(store.text!)).toEqual(first);
    await clock.advance(45 * 60_000 - 1);
    expect(fetch.calls).toHaveLength(1);
    await clock.advance(1);
    expect(fetch.calls).toHaveLength(2);
    expect(loader.current()[1].username).toBe('u2');
    loader.stop();
  });

  it('with no server, uses the last good answer; once it expired, only its STUN entries', async () => {
    const clock = new ManualClock();
    const stored = turnAnswer(clock, 10 * 60_000);
    const loader = new IceServersLoader({ url: '/ice', fetch: fakeFetch(['offline']).fn, store: memoryStore(JSON.stringify(stored)), clock, fallback: META });
    expect(await loader.load()).toBe('stored');
    expect(loader.current()).toEqual(stored.iceServers);
    expect(loader.stats.failedFetch).toBe(1);
    await clock.advance(10 * 60_000);
    expect(loader.current()).toEqual([{ urls: 'stun:203.0.113.1:3478' }]);
    loader.stop();
  });

  it('retries a failed fetch a minute later', async () => {
    const clock = new ManualClock();
    const fetch = fakeFetch(['offline', JSON.stringify(turnAnswer(clock))]);
    const loader = new IceServersLoader({ url: '/ice', fetch: fetch.fn, store: null, clock, fallback: META });
    expect(await loader.load()).toBe('fallback');
    expect(loader.current()).toEqual(META);
    await clock.advance(ICE_LIMITS.retryMs);
    expect(fetch.calls).toHaveLength(2);
    expect(loader.source).toBe('server');
    loader.stop();
  });

  it('keeps the meta tag when the server offers nothing', async () => {
    const clock = new ManualClock();
    const loader = new IceServersLoader({ url: '/ice', fetch: fakeFetch(['{"iceServers":[],"expiresAt":null}']).fn, store: null, clock, fallback: META });
    await loader.load();
    expect(loader.current()).toEqual(META);
    expect(clock.timers).toHaveLength(0); // nothing expires: no refresh
  });

  it.each([
    ['not JSON', 'nope'],
    ['an http: URL', '{"iceServers":[{"urls":"http://x.example"}],"expiresAt":null}'],
    ['a TURN entry without credentials', '{"iceServers":[{"urls":"turn:x.example"}],"expiresAt":null}'],
    ['too many servers', JSON.stringify({ iceServers: Array(ICE_LIMITS.maxServers + 1).fill({ urls: 'stun:x.example' }), expiresAt: null })],
    ['an unknown field', '{"iceServers":[],"expiresAt":null,"more":1}'],
  ])('refuses %s and keeps what it had', async (_label, body) => {
    const clock = new ManualClock();
    const stored = turnAnswer(clock);
    const loader = new IceServersLoader({ url: '/ice', fetch: fakeFetch([body]).fn, store: memoryStore(JSON.stringify(stored)), clock });
    await loader.load();
    expect(loader.stats.invalid).toBe(1);
    expect(loader.current()).toEqual(stored.iceServers);
    loader.stop();
  });

  it('stops reading an answer over the size bound', async () => {
    const clock = new ManualClock();
    const huge = JSON.stringify({ iceServers: [], expiresAt: null, pad: 'x'.repeat(ICE_LIMITS.maxResponseBytes) });
    const loader = new IceServersLoader({ url: '/ice', fetch: fakeFetch([huge]).fn, store: null, clock, fallback: META });
    await loader.load();
    expect(loader.stats.tooLarge).toBe(1);
    expect(loader.current()).toEqual(META);
    loader.stop();
  });
});
