import { afterEach, describe, expect, it } from 'vitest';
import type { SignalBlob, Signaller } from '../overlay/environment.js';
import { SeededRandom } from '../sim/seeded-random.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { BroadcastIntroducer, sameBrowserEntryPoint, type ChannelLike, type OpenChannel } from './broadcast-introducer.js';

// Node 20 has the real BroadcastChannel: messages cross between instances of one name on the event
// loop, as between tabs. Each test uses its own channel name; timers run on a virtual clock.
let channels: BroadcastChannel[] = [];
let testNumber = 0;
function channelFactory(): OpenChannel {
  const name = `dima-test-${testNumber++}`;
  return () => {
    const channel = new BroadcastChannel(name);
    channels.push(channel);
    return channel as unknown as ChannelLike;
  };
}
afterEach(() => {
  for (const channel of channels) channel.close();
  channels = [];
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
/** Channel delivery is asynchronous: wait (real time, bounded) until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await tick();
}
const OFFER: SignalBlob = { kind: 'offer', data: 'v=0 offer' };

function introducer(openChannel: OpenChannel, clock: VirtualClock, seed: number, answer = async (offer: SignalBlob): Promise<SignalBlob> => ({ kind: 'answer', data: `answer to ${offer.data} from ${seed}` })) {
  return new BroadcastIntroducer({ openChannel, answer, clock, random: new SeededRandom(seed) });
}

function join(openChannel: OpenChannel, clock: VirtualClock, signal = new AbortController().signal): Promise<Signaller> {
  return sameBrowserEntryPoint({ openChannel, clock, random: new SeededRandom(99) }).connect(signal) as Promise<Signaller>;
}

describe('same-browser introductions over BroadcastChannel', () => {
  it('carries the offer to the joined tab and its answer back', async () => {
    const open = channelFactory();
    const clock = new VirtualClock();
    const tab = introducer(open, clock, 1);
    const signaller = await join(open, clock);
    expect(await signaller(OFFER)).toEqual({ kind: 'answer', data: 'answer to v=0 offer from 1' });
    expect(tab.counters).toMatchObject({ introduced: 1, malformed: 0 });
  });

  it('fails after readyTimeoutMs when no tab of this browser is in the overlay', async () => {
    const clock = new VirtualClock();
    let error: unknown;
    join(channelFactory(), clock).catch((e) => (error = e));
    await tick();
    await clock.advance(499);
    expect(error).toBeUndefined();
    await clock.advance(1);
    expect(String(error)).toMatch(/no tab of this browser/);
  });

  it('takes the first tab that is ready; a second one that answered too stays out', async () => {
    const open = channelFactory();
    const clock = new VirtualClock();
    const first = introducer(open, clock, 1);
    const second = introducer(open, clock, 2);
    const signaller = await join(open, clock);
    const answer = await signaller(OFFER);
    await tick();
    expect([first.counters.introduced + second.counters.introduced, answer.data.startsWith('answer to v=0 offer from')]).toEqual([1, true]);
  });

  it('drops malformed and oversized messages, counted, and keeps working', async () => {
    const open = channelFactory();
    const clock = new VirtualClock();
    const tab = introducer(open, clock, 1);
    const noise = open();
    for (const junk of ['hello', null, { t: 'join' }, { t: 'join', nonce: 'XYZ' }, { t: 'join', nonce: 'ab'.repeat(8), extra: 1 },
      { t: 'offer', nonce: 'ab'.repeat(8), to: 'cd'.repeat(8), offer: { kind: 'offer', data: 'x'.repeat(17_000) } }]) noise.postMessage(junk);
    await until(() => tab.counters.malformed >= 6);
    await tick();
    expect(tab.counters.malformed).toBe(6);
    const signaller = await join(open, clock);
    expect((await signaller(OFFER)).kind).toBe('answer');
  });

  it('bounds the introductions in progress and forgets a ready that no offer followed', async () => {
    const open = channelFactory();
    const clock = new VirtualClock();
    const tab = introducer(open, clock, 1);
    const noise = open();
    for (let i = 0; i < 10; i++) noise.postMessage({ t: 'join', nonce: i.toString(16).padStart(16, '0') });
    await until(() => tab.counters.busy >= 6);
    await tick();
    expect(tab.counters.busy).toBe(6);
    await clock.advance(10_000);
    const signaller = await join(open, clock);
    expect((await signaller(OFFER)).kind).toBe('answer');
  });

  it('gives up on the answer after answerTimeoutMs, and stops listening when aborted', async () => {
    const open = channelFactory();
    const clock = new VirtualClock();
    introducer(open, clock, 1, () => new Promise(() => {}));
    const signaller = await join(open, clock);
    let error: unknown;
    signaller(OFFER).catch((e) => (error = e));
    await tick();
    await clock.advance(15_000);
    expect(String(error)).toMatch(/did not answer/);

    const aborting = new AbortController();
    let aborted: unknown;
    join(channelFactory(), clock, aborting.signal).catch((e) => (aborted = e));
    aborting.abort();
    await tick();
    expect(String(aborted)).toMatch(/aborted/);
  });
});
