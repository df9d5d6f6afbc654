import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/sim/virtual-clock.js';
import type { ServerFrame } from '../src/overlay/bootstrap/protocol.js';
import { MAX_INTRO_FRAME_BYTES } from '../src/overlay/bootstrap/protocol.js';
import { Introducer, type IntroducerOptions } from './introducer.js';

const OFFER = { kind: 'offer', data: 'v=0 offer' } as const;
const ANSWER = { kind: 'answer', data: 'v=0 answer' } as const;
const ID = 'ab'.repeat(16);

/** A socket as the introducer sees it, recording what it was sent and how it was closed. */
function fakeSocket(introducer: Introducer, address = 'local') {
  const frames: ServerFrame[] = [];
  let closedWith: { code: number; reason: string } | null = null;
  const connection = introducer.connect({
    send: (text) => frames.push(JSON.parse(text)),
    close: (code, reason) => {
      closedWith = { code, reason };
      queueMicrotask(() => connection.closed());
    },
  }, address);
  return {
    frames,
    get closedWith() {
      return closedWith;
    },
    say: (frame: unknown) => connection.receive(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    last: () => frames[frames.length - 1],
    drop: () => connection.closed(),
  };
}

function setup(options: Partial<IntroducerOptions> = {}) {
  const clock = new VirtualClock();
  // Restart windows are off unless a test is about them: most tests are about one introduction.
  const introducer = new Introducer({ clock, returnWindowMs: 0, meetWindowMs: 0, ...options });
  const settle = (ms = 0) => clock.run({ until: clock.now() + ms });
  const socket = (address?: string) => fakeSocket(introducer, address);
  /** A socket that has asked to join, or to volunteer (as most tests' peers do first). */
  const saying = (hello: unknown) => (address?: string) => {
    const opened = socket(address);
    opened.say(hello);
    return opened;
  };
  return { clock, introducer, settle, socket, joining: saying({ type: 'join' }), volunteering: saying({ type: 'volunteer', id: ID }) };
}

describe('Introducer', () => {
  it('tells the first joiner it is the first node, and relays the next joiner offer to ONE volunteer', async () => {
    const { introducer, settle, socket, joining } = setup();
    const first = joining();
    expect(first.frames).toEqual([{ type: 'first' }]);
    expect(first.closedWith?.code).toBe(1000);

    const volunteers = [socket(), socket()];
    for (const v of volunteers) v.say({ type: 'volunteer', id: ID });
    const joiner = joining();
    expect(joiner.last()).toEqual({ type: 'ready' });
    joiner.say({ type: 'offer', offer: OFFER });
    await settle();

    const asked = volunteers.filter((v) => v.last().type === 'offer');
    expect(asked).toHaveLength(1);
    const relayed = asked[0].last() as Extract<ServerFrame, { type: 'offer' }>;
    expect(relayed.offer).toEqual(OFFER);
    asked[0].say({ type: 'answer', intro: relayed.intro, answer: ANSWER });
    await settle();

    expect(joiner.last()).toEqual({ type: 'answer', answer: ANSWER });
    expect(joiner.closedWith?.code).toBe(1000);
    expect(introducer.stats).toMatchObject({ joins: 2, introductions: 1, firstNodeGrants: 1, volunteers: 2 });
  });

  it('holds a second early joiner until the first node volunteers, instead of starting a second ring', async () => {
    const { introducer, settle, joining, volunteering } = setup({ firstGraceMs: 5_000 });
    joining();
    const second = joining();
    await settle(1_000);
    expect(second.frames).toEqual([]);
    volunteering();
    expect(second.frames).toEqual([{ type: 'ready' }]);
    expect(introducer.stats.firstNodeGrants).toBe(1);
  });

  it('lets a held joiner start the ring when the first node never volunteers', async () => {
    const { introducer, settle, joining } = setup({ firstGraceMs: 5_000 });
    joining();
    const second = joining();
    await settle(5_001);
    expect(second.frames).toEqual([{ type: 'first' }]);
    expect(introducer.stats.firstNodeGrants).toBe(2);
  });

  it('passes the offer to another volunteer when one declines or stays silent', async () => {
    const { introducer, settle, socket, joining } = setup({ answerTimeoutMs: 1_000 });
    const silent = socket();
    const declining = socket();
    const helpful = socket();
    for (const v of [silent, declining, helpful]) v.say({ type: 'volunteer', id: ID });
    const joiner = joining();
    joiner.say({ type: 'offer', offer: OFFER });
    await settle(1_001); // silent was asked first (round robin) and timed out
    const toDeclining = declining.last() as Extract<ServerFrame, { type: 'offer' }>;
    declining.say({ type: 'decline', intro: toDeclining.intro });
    await settle();
    const toHelpful = helpful.last() as Extract<ServerFrame, { type: 'offer' }>;
    helpful.say({ type: 'answer', intro: toHelpful.intro, answer: ANSWER });
    await settle();
    expect(joiner.last()).toEqual({ type: 'answer', answer: ANSWER });
    expect(introducer.stats).toMatchObject({ introductions: 1, answerTimeouts: 1, failedIntroductions: 0 });
  });

  it('tells the joiner when no volunteer answers', async () => {
    const { introducer, settle, joining, volunteering } = setup({ answerTimeoutMs: 1_000, maxAttempts: 2 });
    for (let i = 0; i < 3; i++) volunteering();
    const joiner = joining();
    joiner.say({ type: 'offer', offer: OFFER });
    await settle(2_500);
    expect(joiner.last()).toMatchObject({ type: 'error', code: 'no-answer' });
    expect(introducer.stats).toMatchObject({ introductions: 0, failedIntroductions: 1, answerTimeouts: 2 });
  });

  it('keeps at most maxVolunteers sockets, letting the oldest go', async () => {
    const { introducer, settle, socket } = setup({ maxVolunteers: 2 });
    const [a, b, c] = [socket(), socket(), socket()];
    for (const v of [a, b, c]) v.say({ type: 'volunteer', id: ID });
    await settle();
    expect(a.last()).toMatchObject({ type: 'error', code: 'replaced' });
    expect(b.closedWith).toBeNull();
    expect(introducer.stats).toMatchObject({ volunteers: 2, evictions: 1 });
  });

  it('withdraws a volunteer whose socket closed', async () => {
    const { introducer, settle, joining, volunteering } = setup();
    const v = volunteering();
    v.drop();
    await settle();
    expect(introducer.stats.volunteers).toBe(0);
    const joiner = joining();
    expect(joiner.last()).toEqual({ type: 'first' });
  });

  it.each([
    ['bad-json', '{"type":'],
    ['unknown-type', { type: 'gossip' }],
    ['unknown-type', [1, 2]],
    ['invalid-frame', { type: 'offer', offer: { kind: 'answer', data: 'x' } }],
    ['invalid-frame', { type: 'volunteer', id: 'not-an-id' }],
    ['invalid-frame', { type: 'join', extra: true }],
    ['too-large', JSON.stringify({ type: 'join', pad: 'x'.repeat(MAX_INTRO_FRAME_BYTES) })],
    ['unexpected', { type: 'offer', offer: OFFER }],
  ])('answers %s input with an error frame and a close', (code, input) => {
    const { introducer, socket } = setup();
    const s = socket();
    s.say(input);
    expect(s.frames).toEqual([{ type: 'error', code, message: expect.any(String) }]);
    expect(s.closedWith).not.toBeNull();
    expect(introducer.stats.errors[code as 'bad-json']).toBe(1);
  });

  it('rate-limits a flooding connection but not the answers it owes', async () => {
    const { introducer, socket } = setup({ rateBurst: 5, ratePerSecond: 1 });
    const flooder = socket();
    for (let i = 0; i < 20 && !flooder.closedWith; i++) flooder.say({ type: 'ping' });
    expect(flooder.last()).toMatchObject({ type: 'error', code: 'rate-limited' });
    expect(flooder.frames.filter((f) => f.type === 'pong')).toHaveLength(5);
    expect(introducer.stats.errors['rate-limited']).toBe(1);
  });

  it('closes connections that never say what they want, and refuses beyond maxConnections', async () => {
    const { settle, socket } = setup({ helloTimeoutMs: 1_000, maxConnections: 1 });
    const idle = socket();
    const extra = socket();
    expect(extra.last()).toMatchObject({ type: 'error', code: 'busy' });
    await settle(1_001);
    expect(idle.last()).toMatchObject({ type: 'error', code: 'timeout' });
  });

  it('serves in-process volunteers (a seed peer) like remote ones', async () => {
    const { introducer, settle, joining } = setup();
    const withdraw = introducer.addLocalVolunteer(async () => ANSWER);
    const joiner = joining();
    joiner.say({ type: 'offer', offer: OFFER });
    await settle();
    expect(joiner.last()).toEqual({ type: 'answer', answer: ANSWER });
    withdraw();
    expect(introducer.stats.volunteers).toBe(0);
  });

  describe('after a restart', () => {
    it('holds the first joiner for the return window, and introduces it to a volunteer that comes back', async () => {
      const { introducer, settle, joining, volunteering } = setup({ returnWindowMs: 3_000 });
      const joiner = joining();
      await settle(2_000);
      expect(joiner.frames).toEqual([]); // not "first": the ring may still be out there
      volunteering();
      expect(joiner.frames).toEqual([{ type: 'ready' }]);
      expect(introducer.stats.firstNodeGrants).toBe(0);
    });

    it('tells the joiner "first" when nobody came back within the window', async () => {
      const { introducer, settle, joining } = setup({ returnWindowMs: 3_000 });
      const joiner = joining();
      await settle(3_001);
      expect(joiner.frames).toEqual([{ type: 'first' }]);
      expect(introducer.stats.firstNodeGrants).toBe(1);
    });

    it('introduces a returning volunteer to one already there: its offer goes to the other, the answer back', async () => {
      const { introducer, settle, volunteering } = setup({ meetWindowMs: 60_000 });
      const earlier = volunteering();
      expect(earlier.frames).toEqual([{ type: 'volunteering' }]); // alone: nobody to meet
      const returning = volunteering();
      expect(returning.frames).toEqual([{ type: 'volunteering' }, { type: 'meet' }]);
      returning.say({ type: 'meet-offer', offer: OFFER });
      await settle();
      const relayed = earlier.last() as Extract<ServerFrame, { type: 'offer' }>;
      expect(relayed).toMatchObject({ type: 'offer', offer: OFFER });
      earlier.say({ type: 'answer', intro: relayed.intro, answer: ANSWER });
      await settle();
      expect(returning.last()).toEqual({ type: 'meet-answer', answer: ANSWER });
      expect(returning.closedWith).toBeNull(); // still volunteering
      expect(introducer.stats).toMatchObject({ meetsAsked: 1, meetsIntroduced: 1 });
    });

    it('says meet-failed when no other volunteer answers, and never relays a meet to the asker itself', async () => {
      const { settle, volunteering } = setup({ meetWindowMs: 60_000, answerTimeoutMs: 1_000 });
      volunteering(); // the other one, which never answers
      const asker = volunteering();
      asker.say({ type: 'meet-offer', offer: OFFER });
      await settle(1_001 * 3);
      expect(asker.frames.filter((f) => f.type === 'offer')).toEqual([]);
      expect(asker.last()).toEqual({ type: 'meet-failed' });
    });

    it('asks for meets only inside the window, which a "first" reopens', async () => {
      const { introducer, settle, joining, volunteering } = setup({ meetWindowMs: 10_000 });
      await settle(10_000);
      volunteering();
      const late = volunteering();
      expect(late.frames).toEqual([{ type: 'volunteering' }]);
      for (const s of introducer['volunteers'].map((v) => v.connection!)) s.fail('replaced', 'test');
      await settle();
      const founder = joining();
      expect(founder.last()).toEqual({ type: 'first' }); // a new ring was born here: rings may meet again
      volunteering();
      const returning = volunteering();
      expect(returning.last()).toEqual({ type: 'meet' });
    });

    it('bounds meets per minute', async () => {
      const { introducer, volunteering } = setup({ meetWindowMs: 60_000, meetsPerMinute: 3 });
      for (let i = 0; i < 10; i++) volunteering();
      expect(introducer.stats.meetsAsked).toBe(3);
    });

    it.each([
      ['a meet-offer nobody asked for', [{ type: 'meet-offer', offer: OFFER }]],
      ['a second meet-offer', [{ type: 'meet-offer', offer: OFFER }, { type: 'meet-offer', offer: OFFER }]],
    ])('refuses %s', async (_label, frames) => {
      const { settle, volunteering } = setup({ meetWindowMs: _label.startsWith('a second') ? 60_000 : 0 });
      volunteering();
      const v = volunteering();
      for (const frame of frames) v.say(frame);
      await settle();
      expect(v.last()).toMatchObject({ type: 'error', code: 'unexpected' });
    });
  });

  describe('against hostile clients', () => {
    /** A volunteer that answers every offer it is relayed (an honest node). */
    const answering = (v: ReturnType<typeof fakeSocket>) => () => {
      for (const frame of v.frames.splice(0)) if (frame.type === 'offer') v.say({ type: 'answer', intro: frame.intro, answer: ANSWER });
    };
    const joinOnce = async (joining: (address?: string) => ReturnType<typeof fakeSocket>, settle: (ms?: number) => Promise<unknown>, answer: () => void) => {
      const joiner = joining('203.0.113.9');
      if (joiner.last()?.type !== 'ready') return joiner;
      joiner.say({ type: 'offer', offer: OFFER });
      await settle();
      answer();
      await settle();
      return joiner;
    };

    it('keeps a proven volunteer through 64 fakes that never answer, and joins through it at the first try', async () => {
      const { introducer, settle, joining, volunteering } = setup({ answerTimeoutMs: 1_000 });
      const honest = volunteering('198.51.100.1');
      const answer = answering(honest);
      expect((await joinOnce(joining, settle, answer)).last()).toEqual({ type: 'answer', answer: ANSWER }); // now proven
      for (let i = 0; i < 64; i++) volunteering(`192.0.2.${i}`);
      expect(honest.closedWith).toBeNull();
      for (let i = 0; i < 5; i++) expect((await joinOnce(joining, settle, answer)).last()).toEqual({ type: 'answer', answer: ANSWER });
      expect(introducer.stats).toMatchObject({ introductions: 6, answerTimeouts: 0, firstNodeGrants: 0 });
    });

    it('drops a volunteer that stays silent, so it costs one joiner one timeout at most', async () => {
      const { introducer, settle, joining, volunteering } = setup({ answerTimeoutMs: 1_000 });
      const silent = volunteering('192.0.2.1');
      const honest = volunteering('198.51.100.1');
      const joiner = joining();
      joiner.say({ type: 'offer', offer: OFFER });
      await settle(1_001);
      answering(honest)();
      await settle();
      expect(joiner.last()).toEqual({ type: 'answer', answer: ANSWER });
      expect(silent.last()).toMatchObject({ type: 'error', code: 'timeout' });
      expect(introducer.stats).toMatchObject({ volunteers: 1, silentVolunteersDropped: 1 });
    });

    it('says "first" to nobody while a ring served here recently, even once every volunteer is gone', async () => {
      const { introducer, settle, joining, volunteering } = setup({ answerTimeoutMs: 1_000, servedRecentlyMs: 60_000 });
      const honest = volunteering();
      await joinOnce(joining, settle, answering(honest));
      honest.drop();
      await settle();
      const joiner = joining();
      await settle(30_000);
      expect(joiner.frames).toEqual([]); // held: the ring is out there
      const back = volunteering();
      expect(joiner.last()).toEqual({ type: 'ready' });
      back.drop();
      await settle(60_000);
      const late = joining();
      await settle(1);
      expect(late.frames).toEqual([{ type: 'first' }]); // nobody served for a minute: a new ring may start
      expect(introducer.stats.firstNodeGrants).toBe(1);
    });

    it('caps connections per address, so idle sockets from one host leave room for everyone else', async () => {
      const { introducer, socket, joining } = setup({ maxConnectionsPerAddress: 64 });
      const idle = Array.from({ length: 100 }, () => socket('192.0.2.7'));
      expect(idle.filter((s) => s.last()?.type === 'error')).toHaveLength(36);
      expect(introducer.stats.refusedPerAddress).toBe(36);
      const other = joining('198.51.100.1');
      expect(other.last()).toEqual({ type: 'first' });
    });

    it('lets one address hold only a few volunteer slots: its newest replaces its oldest', async () => {
      const { introducer, socket } = setup({ maxVolunteersPerAddress: 8 });
      const many = Array.from({ length: 12 }, () => socket('192.0.2.7'));
      for (const v of many) v.say({ type: 'volunteer', id: ID });
      await Promise.resolve();
      expect(introducer.stats.volunteers).toBe(8);
      expect(many.slice(0, 4).every((v) => v.last()?.type === 'error')).toBe(true);
    });

    it('closes idle sockets: no hello within the hello deadline, no offer soon after ready', async () => {
      const { settle, socket, joining, volunteering } = setup({ helloTimeoutMs: 3_000, offerTimeoutMs: 10_000 });
      volunteering();
      const mute = socket();
      const stalling = joining();
      expect(stalling.last()).toEqual({ type: 'ready' });
      await settle(3_001);
      expect(mute.last()).toMatchObject({ type: 'error', code: 'timeout' });
      expect(stalling.closedWith).toBeNull();
      await settle(7_000);
      expect(stalling.last()).toMatchObject({ type: 'error', code: 'timeout' });
    });
  });
});
