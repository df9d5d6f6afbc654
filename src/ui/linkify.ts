// Links in peers' text, made clickable safely: the text is split into plain runs and http(s) URLs,
// and the components render both as text nodes and <a> elements through lit templates (never as
// HTML). Other schemes (javascript:, data:, file:...) stay plain text.

export type Segment = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'link'; readonly text: string; readonly href: string };

/** Candidates: a scheme, then anything up to whitespace or a character no URL carries unescaped. */
const CANDIDATE = /https?:\/\/[^\s<>"'`]+/giu;
/** Punctuation that ends a sentence rather than the URL ("see https://x.org/a."). */
const TRAILING = /[.,;:!?'"»”’)\]}]+$/u;

export function linkify(text: string): Segment[] {
  const segments: Segment[] = [];
  let plainFrom = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const url = trimTrailing(match[0]);
    const href = safeHref(url);
    if (!href) continue;
    if (start > plainFrom) segments.push({ kind: 'text', text: text.slice(plainFrom, start) });
    segments.push({ kind: 'link', text: url, href });
    plainFrom = start + url.length;
  }
  if (plainFrom < text.length) segments.push({ kind: 'text', text: text.slice(plainFrom) });
  return segments;
}

/** Drops trailing punctuation, but keeps a closing bracket the URL itself opened (wiki links). */
function trimTrailing(url: string): string {
  let out = url.replace(TRAILING, '');
  for (const [open, close] of [['(', ')'], ['[', ']']] as const) {
    while (out.length < url.length && url[out.length] === close && count(out, open) > count(out, close)) out += close;
  }
  return out;
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

/** The parsed URL when it is http(s) with a host; anything else is not a link. */
function safeHref(candidate: string): string | undefined {
  try {
    const url = new URL(candidate);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}
