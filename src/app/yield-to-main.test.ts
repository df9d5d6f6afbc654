import { afterEach, describe, expect, it } from 'vitest';
import { yieldToMain } from './yield-to-main.js';

const global = globalThis as { scheduler?: unknown };

describe('yieldToMain', () => {
  afterEach(() => {
    delete global.scheduler;
  });

  it('uses scheduler.yield where there is one, called on the scheduler', async () => {
    const calls: unknown[] = [];
    const scheduler = {
      yield(this: unknown) {
        calls.push(this);
        return Promise.resolve();
      },
    };
    global.scheduler = scheduler;
    await yieldToMain();
    expect(calls).toEqual([scheduler]);
  });

  it('without scheduler.yield, resolves in a later task, not among the microtasks of this one', async () => {
    global.scheduler = {};
    let resolved = false;
    const yielded = yieldToMain().then(() => (resolved = true));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(resolved).toBe(false);
    await yielded;
    expect(resolved).toBe(true);
  });
});
