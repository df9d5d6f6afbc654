// SCAN wire messages (the body of overlay messages of the scan application). One typed definition
// and one decoder each; records inside stay `unknown` until validateRecord has seen them.

import * as v from 'valibot';
import { isKeyword, type Keyword } from './normalize.js';
import { RECORD_LIMITS } from './records.js';

const keyword = v.custom<Keyword>(isKeyword);
const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** Replica pushes are batched; a batch stays far below the overlay's frame cap (MAX_FRAME_BYTES). */
export const MAX_BATCH = 16;
/** Most words a query may carry. */
export const MAX_QUERY_WORDS = 8;

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
  /** One node's answer to a query; `done` on the last node of the walk. */
  v.object({
    t: v.literal('scan/results'),
    records: v.pipe(v.array(v.unknown()), v.maxLength(RECORD_LIMITS.keywords * 64)),
    walked: count,
    done: v.boolean(),
    truncated: v.boolean(),
  }),
]);

export type ScanMessage = v.InferOutput<typeof scanMessage>;
export type StoreMessage = Extract<ScanMessage, { t: 'scan/store' }>;
export type ReplicasMessage = Extract<ScanMessage, { t: 'scan/replicas' }>;
export type QueryMessage = Extract<ScanMessage, { t: 'scan/query' }>;
export type ResultsMessage = Extract<ScanMessage, { t: 'scan/results' }>;

/** The message, or undefined for anything that is not a well-formed scan message (drop and count). */
export function decodeScanMessage(body: unknown): ScanMessage | undefined {
  const parsed = v.safeParse(scanMessage, body);
  return parsed.success ? parsed.output : undefined;
}
