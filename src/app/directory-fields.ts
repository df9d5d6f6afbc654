// The profile as the SCAN directory takes it, and back: the port speaks in the UI's fields, the
// directory in capped, split record fields (src/scan/records.ts).

import { RECORD_LIMITS, type ProfileFields } from '../scan/records.js';
import type { SearchHit } from '../scan/ranking.js';
import type { Profile, SearchHandle, SearchResult, Uid } from '../ui/messenger-port.js';
import type { Session } from './session.js';

/** The published fields as the directory takes them (words split, lengths capped); none: withdraw. */
export function directoryFields(profile: Profile): ProfileFields | undefined {
  const fields: ProfileFields = {};
  const cap = (text: string) => text.slice(0, RECORD_LIMITS.fieldChars);
  for (const field of profile.published) {
    const value = profile.fields[field]?.trim();
    if (!value) continue;
    if (field === 'words') fields.words = value.split(/[\s,;]+/).filter(Boolean).slice(0, RECORD_LIMITS.freeWords).map(cap);
    else fields[field] = cap(value);
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

function portFields(fields: ProfileFields): SearchResult['fields'] {
  const { words, ...rest } = fields;
  return words ? { ...rest, words: words.join(' ') } : rest;
}

/**
 * The session's directory search as the port streams it; `found` learns each hit's public key (a
 * buddy request needs the key behind the uid). Our own record is never a result.
 */
export function searchDirectory(session: Session, query: string, found: (uid: Uid, publicKey: string) => void, onResult: (result: SearchResult) => void): SearchHandle {
  let cancelled = false;
  const self = session.node.id;
  // Never calls back before search() has returned: when this node is itself the root of a word's
  // key the directory answers synchronously, and the caller may not hold its handle yet (the
  // search box compares it). Deferring also keeps a throwing listener out of the overlay's
  // delivery path.
  const deliver = (hits: SearchHit[]) =>
    queueMicrotask(() => {
      if (cancelled) return;
      for (const hit of hits) {
        if (hit.uid === self) continue;
        found(hit.uid, hit.record.publicKey);
        onResult({ uid: hit.uid, fields: portFields(hit.record.fields), matched: hit.matchedWords });
      }
    });
  const done = session.directory.search(query, { onUpdate: deliver }).then(
    (result) => deliver(result.hits),
    () => {},
  );
  return { done, cancel: () => (cancelled = true) };
}
