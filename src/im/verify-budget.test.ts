import { describe, expect, it } from 'vitest';
import type { NodeId } from '../overlay/id.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { VerifyBudget } from './verify-budget.js';

const [alice, bob] = ['a1'.repeat(16), 'b2'.repeat(16)] as NodeId[];
const config = { verifyPerBuddyPerSecond: 10, verifyStrangersPerSecond: 5, verifyPerSecond: 25 };
const takes = (budget: VerifyBudget, who: NodeId | undefined, n: number) => Array.from({ length: n }, () => budget.take(who)).filter(Boolean).length;

describe('verify budget', () => {
  it('lets each buddy burst two seconds\' worth, then its rate', async () => {
    const clock = new VirtualClock();
    const budget = new VerifyBudget(clock, config);
    expect(takes(budget, alice, 100)).toBe(20);
    await clock.advance(500);
    expect(takes(budget, alice, 100)).toBe(5);
    expect(takes(budget, bob, 100)).toBe(20);
  });

  it('keeps strangers (buddy requests) to their own bucket, so a flood of them leaves the buddies theirs', () => {
    const budget = new VerifyBudget(new VirtualClock(), config);
    expect(takes(budget, undefined, 1_000)).toBe(10);
    expect(takes(budget, alice, 100)).toBe(20);
    // ... and the total caps the sum, however many buddies a flood names.
    expect(takes(budget, bob, 100)).toBe(50 - 10 - 20);
  });
});
