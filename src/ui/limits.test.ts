import { describe, expect, it } from 'vitest';
import { MAX_NAME_CHARS, MAX_TEXT_CHARS } from '../im/config.js';
import { checkDraft, nameProblem } from './limits.js';
import { LIMITS } from './messenger-port.js';

describe('limits', () => {
  it('are the IM layer’s own', () => {
    expect(LIMITS).toEqual({ messageChars: MAX_TEXT_CHARS, nameChars: MAX_NAME_CHARS });
  });

  it('a draft up to the limit is sent as written, newlines inside kept, blank space around dropped', () => {
    expect(checkDraft('  line one\n\nline two \n')).toEqual({ ok: true, text: 'line one\n\nline two' });
    expect(checkDraft('x'.repeat(MAX_TEXT_CHARS))).toEqual({ ok: true, text: 'x'.repeat(MAX_TEXT_CHARS) });
    expect(checkDraft(' \n ')).toEqual({ ok: false, reason: '' });
  });

  it('a draft over the limit is refused with the count', () => {
    expect(checkDraft('x'.repeat(2_100))).toEqual({ ok: false, reason: 'Too long: 2,100 characters, at most 2,000. Shorten it to send.' });
  });

  it('a display name is required and at most 64 characters', () => {
    expect(nameProblem(undefined)).toMatch(/Pick a display name/);
    expect(nameProblem('n'.repeat(MAX_NAME_CHARS))).toBeUndefined();
    expect(nameProblem('n'.repeat(MAX_NAME_CHARS + 1))).toBe('The display name is 65 characters long; at most 64 fit. Shorten it.');
  });
});
