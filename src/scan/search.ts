// The searching side: one prefix walk per query word, results streamed in as each node of each walk
// replies, every record checked again here (a directory node may lie), merged and ranked.
//
// Replies come from nodes we do not trust, so what a search checks is bounded: records that fail
// the cheap checks (shape, freshness, uid = hash(key), matching the query) cost nothing, a record
// seen already costs nothing, at most verifyPerFrame signatures per reply frame (honest nodes send
// no more records per part) and searchVerifyLimit per search; the rest of a frame that held a forged
// record is dropped unchecked (not the node's other frames: a node that lies in one part may still
// hold the only copies of real records). What is left unchecked marks the result truncated.
//
// Why a walk per word when matchAll needs only one: the walks are independent, so a word whose
// root is failing or whose walk was cut short is covered by the others.

import type { OverlayEndpoint, Reply } from '../overlay/api.js';
import type { Clock } from '../overlay/environment.js';
import type { KeyMapping } from './keys.js';
import { decodeScanMessage, MAX_QUERY_WORDS, type QueryMessage, type ResultsMessage } from './messages.js';
import { tokenize, type Keyword } from './normalize.js';
import { answersQuery, matchWords, rankRecords, type SearchHit } from './ranking.js';
import { checkRecord, hasValidSignature, type SignatureVerifier, type SignedRecord } from './records.js';

export interface SearchOptions {
  /** Keep only records matching every word (default) or any word (ranked by words matched). */
  matchAll?: boolean;
  /** Called with the ranked hits so far whenever a reply adds some (search-as-you-type). */
  onUpdate?: (hits: SearchHit[]) => void;
  timeoutMs?: number;
}

export interface SearchResult {
  /** Normalised query words. */
  words: Keyword[];
  hits: SearchHit[];
  /** Every walk reported done before the timeout. */
  complete: boolean;
  /** Some node capped its reply or a walk hit maxWalk: a longer prefix would find more. */
  truncated: boolean;
  /** Records dropped here: forged, expired, malformed, not answering the query. */
  rejected: number;
  /** Records left unchecked: over the per-frame or per-search signature budget, or after a forged one in its frame. */
  unchecked: number;
}

export interface SearchContext {
  endpoint: OverlayEndpoint;
  mapping: KeyMapping;
  clock: Clock;
  verify: SignatureVerifier;
  config: { queryTimeoutMs: number; verifyPerFrame: number; searchVerifyLimit: number };
}

export function runSearch(context: SearchContext, text: string, options: SearchOptions): Promise<SearchResult> {
  const words = tokenize(text).slice(0, MAX_QUERY_WORDS);
  const matchAll = options.matchAll ?? true;
  const result: SearchResult = { words, hits: [], complete: true, truncated: false, rejected: 0, unchecked: 0 };
  if (words.length === 0) return Promise.resolve(result);

  const records = new Map<string, SignedRecord>();
  const pendingWords = new Set(words);
  const walks = new Map(words.map((word) => [word, new WalkProgress()]));
  const checks = new SearchChecks(context, words, matchAll, result);

  return new Promise((resolve) => {
    const finish = (complete: boolean) => {
      context.clock.clearTimer(timer);
      result.complete = complete;
      resolve(result);
    };
    const timer = context.clock.setTimer(options.timeoutMs ?? context.config.queryTimeoutMs, () => finish(false));

    const onReply = (word: Keyword, reply: Reply) => {
      const message = decodeScanMessage(reply.body);
      if (message?.t !== 'scan/results' || !pendingWords.has(word)) return;
      let added = false;
      for (const record of checks.ofReply(message.records)) {
        const id = `${record.uid}/${record.seq}`;
        if (!records.has(id)) added = true;
        records.set(id, record);
      }
      result.truncated ||= message.truncated;
      if (added) {
        result.hits = rankRecords(words, records.values(), matchAll);
        options.onUpdate?.(result.hits);
      }
      if (walks.get(word)!.hear(message)) {
        pendingWords.delete(word);
        if (pendingWords.size === 0) finish(true);
      }
    };

    for (const word of words) {
      const query: QueryMessage = { t: 'scan/query', prefix: word, words, matchAll, walked: 0 };
      context.endpoint
        .request(context.mapping.prefixRange(word).start, query, {
          timeoutMs: options.timeoutMs ?? context.config.queryTimeoutMs,
          onReply: (reply) => onReply(word, reply),
        })
        .catch(() => undefined); // no reply at all: the word stays pending until our own timeout
    }
  });
}

/** The checks of one search's replies, within its budgets (see the top of this file). */
class SearchChecks {
  private readonly valid = new Set<string>();
  private spent = 0;

  constructor(
    private readonly context: SearchContext,
    private readonly words: readonly Keyword[],
    private readonly matchAll: boolean,
    private readonly result: SearchResult,
  ) {}

  /** The records of one reply frame from `from` that passed every check. */
  ofReply(raws: readonly unknown[]): SignedRecord[] {
    const now = this.context.clock.now();
    const { verifyPerFrame, searchVerifyLimit } = this.context.config;
    const accepted: SignedRecord[] = [];
    let inFrame = 0;
    let forged = false;
    for (const raw of raws) {
      if (forged) {
        this.result.unchecked++;
        continue;
      }
      const checked = checkRecord(raw, now);
      if (!checked.ok || !answersQuery(matchWords(this.words, checked.record.keywords), this.words.length, this.matchAll)) {
        this.result.rejected++;
        continue;
      }
      const key = JSON.stringify(checked.record);
      if (!this.valid.has(key)) {
        if (inFrame >= verifyPerFrame || this.spent >= searchVerifyLimit) {
          this.result.unchecked++;
          this.result.truncated = true;
          continue;
        }
        inFrame++;
        this.spent++;
        if (!hasValidSignature(checked.record, this.context.verify)) {
          this.result.rejected++;
          forged = true;
          continue;
        }
        this.valid.add(key);
      }
      accepted.push(checked.record);
    }
    return accepted;
  }
}

/**
 * The parts heard of each walk node's answer. Replies of one walk can arrive out of order (the walk
 * may pass back through a node of the request's route, whose remembered reverse path is shorter), so
 * a walk is finished only when the last node has answered AND every node up to it has answered in
 * full (every part of a split answer).
 */
class WalkProgress {
  private readonly answers = new Map<number, { parts: number; heard: Set<number> }>();
  private length = Infinity;

  /** Notes one reply; true when the walk is finished. */
  hear(message: ResultsMessage): boolean {
    const answer = this.answers.get(message.walked) ?? { parts: message.parts, heard: new Set<number>() };
    this.answers.set(message.walked, answer);
    // The most parts any reply claims: a lying node's one-part reply must not end the walk before
    // the real answer's later parts (bounded by MAX_RESULT_PARTS; a liar can only delay completion).
    answer.parts = Math.max(answer.parts, message.parts);
    answer.heard.add(message.part);
    if (message.done) this.length = message.walked;
    return this.finished();
  }

  private finished(): boolean {
    if (this.length === Infinity) return false;
    for (let walked = 1; walked <= this.length; walked++) {
      const answer = this.answers.get(walked);
      if (answer === undefined || answer.heard.size < answer.parts) return false;
    }
    return true;
  }
}
