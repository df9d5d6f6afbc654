// Merging search results: which records answer a query, and in what order.
//
// The paper ranks by the number of query words a record matches. We add closeness: a word equal to
// a keyword beats a word that is only its prefix ("ann" finds "ann" before "annika"), then the
// shortest completion. Duplicates (one record from several keyword walks, or several versions of
// one profile) collapse to the newest version per uid.

import type { NodeId } from '../overlay/id.js';
import type { Keyword } from './normalize.js';
import type { SignedRecord } from './records.js';

export interface SearchHit {
  readonly uid: NodeId;
  readonly record: SignedRecord;
  /** Query words equal to, or a prefix of, some keyword of the record. */
  readonly matchedWords: number;
  /** Query words equal to a keyword. */
  readonly exactWords: number;
  /** Characters the matched keywords add beyond the query words (0 = all exact). */
  readonly completion: number;
}

export interface WordMatch {
  matchedWords: number;
  exactWords: number;
  completion: number;
}

/** How well `keywords` answer `query` (every query word counted once, by its best keyword). */
export function matchWords(query: readonly Keyword[], keywords: readonly Keyword[]): WordMatch {
  const match: WordMatch = { matchedWords: 0, exactWords: 0, completion: 0 };
  for (const word of query) {
    let best = Infinity;
    for (const keyword of keywords) if (keyword.startsWith(word)) best = Math.min(best, keyword.length - word.length);
    if (best === Infinity) continue;
    match.matchedWords++;
    if (best === 0) match.exactWords++;
    match.completion += best;
  }
  return match;
}

/** True when the record should be shown at all: every word matches (matchAll) or at least one. */
export function answersQuery(match: WordMatch, queryWords: number, matchAll: boolean): boolean {
  return matchAll ? match.matchedWords === queryWords : match.matchedWords > 0;
}

function compareHits(a: SearchHit, b: SearchHit): number {
  return (
    b.matchedWords - a.matchedWords ||
    b.exactWords - a.exactWords ||
    a.completion - b.completion ||
    (a.record.fields.name ?? '').localeCompare(b.record.fields.name ?? '') ||
    (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0)
  );
}

/** Keeps the newest profile per uid, drops records that do not answer the query, ranks the rest. */
export function rankRecords(query: readonly Keyword[], records: Iterable<SignedRecord>, matchAll: boolean): SearchHit[] {
  const newest = new Map<NodeId, SignedRecord>();
  for (const record of records) {
    const held = newest.get(record.uid);
    if (held === undefined || record.seq > held.seq) newest.set(record.uid, record);
  }
  const hits: SearchHit[] = [];
  for (const record of newest.values()) {
    if (record.kind !== 'profile') continue;
    const match = matchWords(query, record.keywords);
    if (answersQuery(match, query.length, matchAll)) hits.push({ uid: record.uid, record, ...match });
  }
  return hits.sort(compareHits);
}
