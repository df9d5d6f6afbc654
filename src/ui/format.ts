// Small presentation helpers shared by the components.

import type { MessageStatus } from './messenger-port.js';

/** First hex digits of an id: enough to tell nodes apart on screen. */
export function shortId(id: string, digits = 8): string {
  return id.slice(0, digits);
}

export function formatTime(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The receipt mark under an outgoing bubble, and its words for screen readers. */
export function statusMark(status: MessageStatus): { mark: string; label: string } {
  switch (status) {
    case 'queued':
      return { mark: 'queued', label: 'queued: waiting for the buddy to come online' };
    case 'sent':
      return { mark: '✓', label: 'sent' };
    case 'delivered':
      return { mark: '✓✓', label: 'delivered' };
    case 'failed':
      return { mark: 'failed', label: 'not delivered' };
  }
}

/** Local calendar day of `at`, as a comparable key. */
function dayKey(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/** A date separator's words: "Today", "Yesterday", else the date (with the year when not this one). */
export function dayLabel(at: number, now: number): string {
  if (dayKey(at) === dayKey(now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (dayKey(at) === dayKey(yesterday.getTime())) return 'Yesterday';
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return new Date(at).toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'long', ...(sameYear ? {} : { year: 'numeric' }) });
}

/** For each item, the separator to show before it: a label where its day differs from the previous item's. */
export function daySeparators(times: readonly number[], now: number): (string | undefined)[] {
  return times.map((at, i) => (i === 0 || dayKey(times[i - 1]) !== dayKey(at) ? dayLabel(at, now) : undefined));
}

/** The buddy list's preview line: one line, shortened; "You: " before our own. */
export function previewLine(last: { text: string; direction: 'in' | 'out' } | undefined, chars = 60): string {
  if (!last) return '';
  const line = last.text.replace(/\s+/gu, ' ').trim();
  const short = line.length > chars ? `${line.slice(0, chars - 1)}…` : line;
  return last.direction === 'out' ? `You: ${short}` : short;
}
