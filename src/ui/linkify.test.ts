import { describe, expect, it } from 'vitest';
import { linkify } from './linkify.js';

describe('linkify', () => {
  it('leaves text without links as one plain run', () => {
    expect(linkify('no links here\nsecond line')).toEqual([{ kind: 'text', text: 'no links here\nsecond line' }]);
  });

  it('splits http and https URLs out of the text', () => {
    expect(linkify('see https://example.org/a?b=1#c and http://x.se')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' },
      { kind: 'text', text: ' and ' },
      { kind: 'link', text: 'http://x.se', href: 'http://x.se/' },
    ]);
  });

  it('keeps sentence punctuation out of the link, but a bracket the URL opened in it', () => {
    expect(linkify('read https://example.org/page.')[1]).toEqual({ kind: 'link', text: 'https://example.org/page', href: 'https://example.org/page' });
    expect(linkify('(https://example.org/x)')).toEqual([
      { kind: 'text', text: '(' },
      { kind: 'link', text: 'https://example.org/x', href: 'https://example.org/x' },
      { kind: 'text', text: ')' },
    ]);
    expect(linkify('https://en.wikipedia.org/wiki/Pastry_(DHT)')[0]).toMatchObject({ text: 'https://en.wikipedia.org/wiki/Pastry_(DHT)' });
  });

  it('never makes other schemes links', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd', 'ftp://x.org']) {
      expect(linkify(text)).toEqual([{ kind: 'text', text }]);
    }
  });

  it('stops a URL at markup characters, which stay text', () => {
    const segments = linkify('https://example.org/"><img src=x onerror=alert(1)>');
    expect(segments[0]).toEqual({ kind: 'link', text: 'https://example.org/', href: 'https://example.org/' });
    expect(segments.slice(1).every((s) => s.kind === 'text')).toBe(true);
  });

  it('skips a scheme without a host', () => {
    expect(linkify('http:// nothing')).toEqual([{ kind: 'text', text: 'http:// nothing' }]);
  });
});
