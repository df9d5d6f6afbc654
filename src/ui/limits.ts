// The IM layer's limits as the UI checks them before anything is sent: a refusal with its reason
// (and the draft kept) instead of a silent cut or a bare "failed".

import { LIMITS } from './messenger-port.js';

export type DraftCheck = { ok: true; text: string } | { ok: false; reason: string };

/** What Send would send: the draft without surrounding blank space, within the IM layer's limit. */
export function checkDraft(draft: string, limit = LIMITS.messageChars): DraftCheck {
  const text = draft.trim();
  if (!text) return { ok: false, reason: '' };
  if (text.length > limit) {
    return { ok: false, reason: `Too long: ${text.length.toLocaleString('en')} characters, at most ${limit.toLocaleString('en')}. Shorten it to send.` };
  }
  return { ok: true, text };
}

/** Why a display name cannot be used (the IM layer carries at most LIMITS.nameChars), or undefined. */
export function nameProblem(name: string | undefined): string | undefined {
  if (!name) return 'Pick a display name: it is how buddies see you.';
  if (name.length > LIMITS.nameChars) return `The display name is ${name.length} characters long; at most ${LIMITS.nameChars} fit. Shorten it.`;
  return undefined;
}
