// SCAN wire messages (the body of overlay messages of the scan application). One typed definition
// and one decoder each; records inside stay `unknown` until validateRecord has seen them.

import * as v from 'valibot';
import { MAX_FRAME_BYTES } from '../overlay/config.js';
import { isKeyword, type Keyword } from './normalize.js';
import { RECORD_LIMITS } from './records.js';

const keyword = v.custom<Keyword>(isKeyword);
const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** Replica pushes are batched; a batch stays far below the overlay's frame cap (MAX_FRAME_BYTES). */
export const MAX_BATCH = 16;
/** Most words a query may carry. */
export const MAX_QUERY_WORDS = 8;
/**
 * A results reply body stays below this many bytes of JSON: frames above MAX_FRAME_BYTES are dropped
 * by the WebRTC transport, and the overlay's reply envelope (ids, hops) needs the rest.
 */
export const MAX_RESULTS_BYTES = MAX_FRAME_BYTES - 16 * 1024;
/** Most parts one node's answer may be split into. */
const MAX_RESULT_PARTS = 256;

const item = v.object({ keyword, record: v.unknown() });

const scanMessage = v.variant('t', [
  /** Routed to keywordKey(keyword, uid): the root stores the record and replicates it. */
  v.object({ t: v.literal('scan/store'), keyword, record: v.unknown() }),
  /** Sent directly to replica holders (replication, handover, repair). */
  v.object({ t: v.literal('scan/replicas'), items: v.pipe(v.array(item), v.maxLength(MAX_BATCH)) }),
  /**
   * Routed (request) to prefixRange(prefix).start, then relayed clockwise along the ring. `words`
   * are all the query's words, so nodes can drop records that cannot match before replying.
   */
  v.object({
    t: v.literal('scan/query'),
    prefix: keyword,
    words: v.pipe(v.array(keyword), v.maxLength(MAX_QUERY_WORDS)),
    matchAll: v.boolean(),
    walked: count,
  }),
  /**
   * Part `part` of `parts` of one node's answer to a query (an answer larger than MAX_RESULTS_BYTES
   * is split); `done` on every part from the last node of the walk.
   */
  v.pipe(
    v.object({
      t: v.literal('scan/results'),
      records: v.pipe(v.array(v.unknown()), v.maxLength(RECORD_LIMITS.keywords * 64)),
      walked: count,
      done: v.boolean(),
      truncated: v.boolean(),
      part: v.pipe(count, v.minValue(1)),
      parts: v.pipe(count, v.minValue(1), v.maxValue(MAX_RESULT_PARTS)),
    }),
    v.check((message) => message.part <= message.parts),
  ),
]);

export type ScanMessage = v.InferOutput<typeof scanMessage>;
export type StoreMessage = Extract<ScanMessage, { t: 'scan/store' }>;
export type ReplicasMessage = Extract<ScanMessage, { t: 'scan/replicas' }>;
export type QueryMessage = Extract<ScanMessage, { t: 'scan/query' }>;
export type ResultsMessage = Extract<ScanMessage, { t: 'scan/results' }>;

const utf8 = new TextEncoder();
/** Size of `value` as JSON text in UTF-8, as it goes on the wire. */
export const jsonBytes = (value: unknown): number => utf8.encode(JSON.stringify(value)).length;

/**
 * One node's answer as results messages of at most `maxBytes` of JSON and `maxRecords` records
 * each (the searcher checks no more signatures per frame), records in order. Parts
 * beyond MAX_RESULT_PARTS are left out and the answer marked truncated (only with a maxResultsPerNode
 * far above the default).
 */
export function resultsInParts(
  records: readonly unknown[],
  answer: Omit<ResultsMessage, 't' | 'records' | 'part' | 'parts'>,
  maxBytes = MAX_RESULTS_BYTES,
  maxRecords = Infinity,
): ResultsMessage[] {
  const envelope = jsonBytes({ t: 'scan/results', records: [], ...answer, truncated: false, part: MAX_RESULT_PARTS, parts: MAX_RESULT_PARTS });
  const groups: unknown[][] = [[]];
  let size = envelope;
  for (const record of records) {
    const bytes = jsonBytes(record) + 1; // the separating comma
    const group = groups[groups.length - 1];
    if ((size + bytes > maxBytes || group.length >= maxRecords) && group.length > 0) {
      groups.push([]);
      size = envelope;
    }
    groups[groups.length - 1].push(record);
    size += bytes;
  }
  const kept = groups.slice(0, MAX_RESULT_PARTS);
  const truncated = answer.truncated || kept.length < groups.length;
  return kept.map((group, i) => ({ t: 'scan/results', records: group, ...answer, truncated, part: i + 1, parts: kept.length }));
}

/** The message, or undefined for anything that is not a well-formed scan message (drop and count). */
export function decodeScanMessage(body: unknown): ScanMessage | undefined {
  const parsed = v.safeParse(scanMessage, body);
  return parsed.success ? parsed.output : undefined;
}
