import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../sim/virtual-clock.js';
import { ANSWER_LIMITS, AnswerBudget } from './answer-budget.js';
import type { NodeId } from './id.js';

const peer = (i: number) => i.toString(16).padStart(32, '0') as NodeId;

describe('AnswerBudget', () => {
  it('answers an offer only after a grant to that origin, once per grant', () => {
    const budget = new AnswerBudget(new VirtualClock());
    expect(budget.takeOffer(peer(1))).toBe('no grant');
    expect(budget.grant(peer(1))).toBe(true);
    expect(budget.takeOffer(peer(2))).toBe('no grant');
    expect(budget.takeOffer(peer(1))).toBeNull();
    budget.done();
    expect(budget.takeOffer(peer(1))).toBe('no grant'); // the grant was spent
  });

  it('lets a grant expire', async () => {
    const clock = new VirtualClock();
    const budget = new AnswerBudget(clock);
    budget.grant(peer(1));
    await clock.advance(ANSWER_LIMITS.grantTtlMs);
    expect(budget.takeOffer(peer(1))).toBe('no grant');
  });

  it('keeps the grants it gave when a flood of asks fills the table, and takes new ones once they expire', async () => {
    const clock = new VirtualClock();
    const budget = new AnswerBudget(clock);
    budget.grant(peer(0));
    let refused = 0;
    for (let i = 1; i < 5_000; i++) if (!budget.grant(peer(i))) refused++;
    expect(refused).toBe(5_000 - ANSWER_LIMITS.maxGrants);
    expect(budget.takeOffer(peer(0))).toBeNull();
    await clock.advance(ANSWER_LIMITS.grantTtlMs);
    expect(budget.grant(peer(9_999))).toBe(true);
  });

  it('bounds handshakes in flight and answers per minute', async () => {
    const clock = new VirtualClock();
    const budget = new AnswerBudget(clock, 60);
    const outcomes: (string | null)[] = [];
    for (let i = 0; i < 100; i++) {
      budget.grant(peer(i % ANSWER_LIMITS.maxGrants));
      outcomes.push(budget.takeOffer(peer(i % ANSWER_LIMITS.maxGrants)));
      if (i % 4 === 3) for (let k = 0; k < 4; k++) budget.done();
    }
    expect(outcomes.filter((o) => o === null)).toHaveLength(ANSWER_LIMITS.burst);
    expect(outcomes).toContain('answer rate');
    for (let k = 0; k < 10; k++) budget.done();
    await clock.advance(60_000); // one minute refills 60 tokens, capped at the burst
    let answered = 0;
    for (let i = 0; i < 100; i++) {
      budget.grant(peer(i % ANSWER_LIMITS.maxGrants));
      if (budget.takeOffer(peer(i % ANSWER_LIMITS.maxGrants)) === null) answered++;
      budget.done();
    }
    expect(answered).toBe(ANSWER_LIMITS.burst);

    const crowded = new AnswerBudget(clock, 60);
    for (let i = 0; i < ANSWER_LIMITS.maxInFlight + 1; i++) crowded.grant(peer(i));
    for (let i = 0; i < ANSWER_LIMITS.maxInFlight; i++) expect(crowded.takeOffer(peer(i))).toBeNull();
    expect(crowded.takeOffer(peer(ANSWER_LIMITS.maxInFlight))).toBe('handshakes in flight');
  });
});
