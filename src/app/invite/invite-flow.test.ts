import { afterEach, describe, expect, it } from 'vitest';
import { startTestNode, stopAllTestNodes, type TestNode } from '../../../tests/integration/webrtc-testkit.js';
import type { Introduction } from '../../overlay/environment.js';
import type { NodeState } from '../../overlay/pastry-node.js';
import type { JoinOutcome, Session } from '../session.js';
import { INVITE_LIMITS } from './config.js';
import { InviteFlow } from './invite-flow.js';

afterEach(() => stopAllTestNodes());

/** As much of a Session as the flow uses, over a real WebRTC transport (@roamhq/wrtc). */
class FakeSession {
  readonly node: { state: NodeState } = { state: 'idle' };
  readonly starts: (Introduction | null)[] = [];
  left = false;
  constructor(readonly test: TestNode = startTestNode()) {}
  get transport() {
    return this.test.transport;
  }
  async joinThrough(introduction: Introduction | null): Promise<JoinOutcome> {
    this.starts.push(introduction);
    if (introduction && typeof introduction !== 'function') await introduction.answered;
    this.node.state = 'joined';
    return 'joined';
  }
  leave(): void {
    this.left = true;
    this.node.state = 'left';
  }
}

function side(clock: { now: number }) {
  const sessions = [new FakeSession()];
  const flow = new InviteFlow({
    session: () => sessions.at(-1) as unknown as Session,
    replaceSession: async () => {
      sessions.at(-1)!.leave();
      sessions.push(new FakeSession());
      return sessions.at(-1) as unknown as Session;
    },
    now: () => clock.now,
  });
  return { flow, sessions };
}

/** An inviter and a newcomer whose flows read one clock (a test moves it). */
function twoSides() {
  const clock = { now: Date.UTC(2026, 11, 2, 3) };
  return { clock, inviter: side(clock), newcomer: side(clock) };
}

async function createdInvite(inviter: ReturnType<typeof side>) {
  const invite = await inviter.flow.createInvite();
  if (!invite.ok) throw new Error(invite.message);
  return invite;
}

describe('InviteFlow', () => {
  it('founds a ring for an inviter that is alone, and joins the newcomer through the answered link', async () => {
    const { clock, inviter, newcomer } = twoSides();
    const invite = await createdInvite(inviter);
    expect(inviter.sessions[0].starts).toEqual([null]);
    expect(invite.expiresAt).toBe(clock.now + INVITE_LIMITS.validityMs);

    const answered = await newcomer.flow.joinWithInvite(invite.code);
    if (!answered.ok) throw new Error(answered.message);
    expect(newcomer.sessions[0].starts).toEqual([]); // nothing starts before the link is up
    expect(await inviter.flow.acceptInviteReply(answered.reply)).toEqual({ ok: true });
    expect(await answered.connected).toEqual({ ok: true });
    expect(newcomer.sessions[0].starts).toHaveLength(1);
    await inviter.sessions[0].test.events.until(() => inviter.sessions[0].test.events.links.length === 1);
    expect(inviter.sessions[0].test.events.links[0].peer).toBe(newcomer.sessions[0].test.identity.id);
    // Used once: the same reply again answers nothing.
    const again = await inviter.flow.acceptInviteReply(answered.reply);
    expect(again.ok === false && again.message).toMatch(/not waiting on/);
  });

  it('refuses an expired invite, on the newcomer\'s clock and on the inviter\'s', async () => {
    const { clock, inviter, newcomer } = twoSides();
    const invite = await createdInvite(inviter);
    const answered = await newcomer.flow.joinWithInvite(invite.code);
    if (!answered.ok) throw new Error(answered.message);
    clock.now += INVITE_LIMITS.validityMs;
    const late = await newcomer.flow.joinWithInvite(invite.code);
    expect(late.ok === false && late.message).toMatch(/expired/);
    const reply = await inviter.flow.acceptInviteReply(answered.reply);
    expect(reply.ok === false && reply.message).toMatch(/expired/);
  });

  it('leaves a joined session first, and retires the oldest invite past the bound', async () => {
    const { inviter, newcomer } = twoSides();
    newcomer.sessions[0].node.state = 'joined';
    const codes: string[] = [];
    for (let i = 0; i <= INVITE_LIMITS.maxPending; i++) {
      const invite = await inviter.flow.createInvite();
      if (invite.ok) codes.push(invite.code);
    }
    const first = await newcomer.flow.joinWithInvite(codes[0]);
    if (!first.ok) throw new Error(first.message);
    expect(newcomer.sessions[0].left).toBe(true);
    expect(newcomer.sessions).toHaveLength(2);
    const outcome = await inviter.flow.acceptInviteReply(first.reply);
    expect(outcome.ok === false && outcome.message).toMatch(/not waiting on/);
    // A reply pasted where the invite goes is told apart.
    const wrong = await newcomer.flow.joinWithInvite(first.reply);
    expect(wrong.ok === false && wrong.message).toMatch(/reply code, not an invite/);
  });
});
