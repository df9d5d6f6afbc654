import { describe, expect, it } from 'vitest';
import type { Signaller } from '../overlay/environment.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { enterThroughAny, NoEntryPoint, type EntryPoint } from './entry-points.js';

const HEAD_START = 1_000;
const signaller: Signaller = async (offer) => ({ kind: 'answer', data: offer.data });

/** An entry point that answers `how` after `ms` of virtual time, and records when it started and whether it was aborted. */
function scripted(clock: VirtualClock, name: string, ms: number, how: 'signaller' | 'first' | 'fail' | 'never', mayBeFirst = false) {
  const log = { startedAt: null as number | null, aborted: false };
  const entry: EntryPoint = {
    name,
    mayBeFirst,
    connect: (signal) => {
      log.startedAt = clock.now();
      signal.addEventListener('abort', () => (log.aborted = true));
      return new Promise((resolve, reject) => {
        if (how === 'never') return;
        clock.setTimer(ms, () => (how === 'fail' ? reject(new Error(`${name} unreachable`)) : resolve(how === 'first' ? null : signaller)));
      });
    },
  };
  return { entry, log };
}

async function run(clock: VirtualClock, entries: EntryPoint[], forMs = 60_000) {
  let outcome: unknown;
  enterThroughAny(entries, { clock, headStartMs: HEAD_START }).then((o) => (outcome = o), (e) => (outcome = e));
  await clock.advance(forMs);
  return outcome;
}

describe('enterThroughAny', () => {
  it('starts the next entry point when the previous one fails, without waiting for its head start', async () => {
    const clock = new VirtualClock();
    const a = scripted(clock, 'origin', 50, 'fail', true);
    const b = scripted(clock, 'same-browser', 20, 'signaller');
    const outcome = await run(clock, [a.entry, b.entry]);
    expect(outcome).toMatchObject({ entry: 'same-browser' });
    expect(b.log.startedAt).toBe(50);
  });

  it('starts the next one beside a slow one once its head start is up, and the first answer wins', async () => {
    const clock = new VirtualClock();
    const slow = scripted(clock, 'origin', 5_000, 'signaller', true);
    const fast = scripted(clock, 'learned ws://a', 100, 'signaller');
    const later = scripted(clock, 'learned ws://b', 100, 'signaller');
    const outcome = await run(clock, [slow.entry, fast.entry, later.entry]);
    expect(outcome).toMatchObject({ entry: 'learned ws://a' });
    expect(fast.log.startedAt).toBe(HEAD_START);
    // the winner was found before the third one's head start: it never started, the loser is aborted
    expect(later.log.startedAt).toBeNull();
    expect(slow.log.aborted).toBe(true);
    expect(fast.log.aborted).toBe(false);
  });

  it('tries every entry point in order with head starts while all of them hang', async () => {
    const clock = new VirtualClock();
    const all = [0, 1, 2, 3].map((i) => scripted(clock, `e${i}`, 0, 'never'));
    await run(clock, all.map((s) => s.entry), 10_000);
    expect(all.map((s) => s.log.startedAt)).toEqual([0, HEAD_START, 2 * HEAD_START, 3 * HEAD_START]);
  });

  it('takes "you are first" from the origin only once every other entry point failed', async () => {
    const clock = new VirtualClock();
    const origin = scripted(clock, 'origin', 10, 'first', true);
    const seed = scripted(clock, 'learned ws://seed', 3_000, 'signaller');
    expect(await run(clock, [origin.entry, seed.entry])).toMatchObject({ entry: 'learned ws://seed' });

    const clock2 = new VirtualClock();
    const origin2 = scripted(clock2, 'origin', 10, 'first', true);
    const dead = scripted(clock2, 'learned ws://dead', 3_000, 'fail');
    expect(await run(clock2, [origin2.entry, dead.entry])).toEqual({ entry: 'origin', signaller: null });
  });

  it('never takes "first" from a seed: a seed is in a ring by definition', async () => {
    const clock = new VirtualClock();
    const origin = scripted(clock, 'origin', 10, 'fail', true);
    const seed = scripted(clock, 'seed ws://x', 10, 'first');
    const outcome = await run(clock, [origin.entry, seed.entry]);
    expect(outcome).toBeInstanceOf(NoEntryPoint);
    expect((outcome as NoEntryPoint).failures.map((f) => f.entry)).toEqual(['origin', 'seed ws://x']);
  });

  it('fails with every reason when nothing answers, and at once with no entry point at all', async () => {
    const clock = new VirtualClock();
    const outcome = await run(clock, [scripted(clock, 'origin', 5, 'fail', true).entry, scripted(clock, 'same-browser', 5, 'fail').entry]);
    expect((outcome as Error).message).toMatch(/origin: origin unreachable; same-browser: same-browser unreachable/);
    expect(await run(new VirtualClock(), [])).toBeInstanceOf(NoEntryPoint);
  });

  it('counts an entry point that throws at once as a failure', async () => {
    const clock = new VirtualClock();
    const broken: EntryPoint = { name: 'broken', connect: () => { throw new Error('bad URL'); } };
    expect(await run(clock, [broken, scripted(clock, 'ok', 5, 'signaller').entry])).toMatchObject({ entry: 'ok' });
  });
});
