import { describe, expect, it } from 'vitest';
import { dayLabel, daySeparators, previewLine } from './format.js';

// Local times: the separators follow the user's calendar day, not UTC's.
const at = (day: number, hour: number) => new Date(2026, 11, day, hour).getTime();
const NOW = at(2, 12);

describe('date separators', () => {
  it('says Today, Yesterday, then the date', () => {
    expect(dayLabel(at(2, 0), NOW)).toBe('Today');
    expect(dayLabel(at(1, 23), NOW)).toBe('Yesterday');
    expect(dayLabel(at(1, 0), NOW)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 28, 9).getTime(), NOW)).not.toMatch(/Today|Yesterday|2026/);
    expect(dayLabel(new Date(2025, 10, 28, 9).getTime(), NOW)).toMatch(/2025/);
  });

  it('puts one separator before the first message of each day', () => {
    const times = [at(1, 9), at(1, 10), at(2, 0), at(2, 8), at(2, 11)];
    expect(daySeparators(times, NOW)).toEqual(['Yesterday', undefined, 'Today', undefined, undefined]);
    expect(daySeparators([], NOW)).toEqual([]);
  });
});

describe('previewLine', () => {
  it('is one shortened line, marking our own messages', () => {
    expect(previewLine(undefined)).toBe('');
    expect(previewLine({ text: 'first\nsecond', direction: 'in' })).toBe('first second');
    expect(previewLine({ text: 'ok', direction: 'out' })).toBe('You: ok');
    const long = previewLine({ text: 'x'.repeat(100), direction: 'in' }, 10);
    expect(long).toBe(`${'x'.repeat(9)}…`);
  });
});
