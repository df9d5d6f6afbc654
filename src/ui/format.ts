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
