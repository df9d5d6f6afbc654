// TEST AND BENCH HELPER: what a hostile peer floods the directory with. Throwaway owners cost one
// key pair and one signature each; a record of 16 keywords then makes 16 store frames, and with an
// order-preserving mapping the attacker can aim every keyword at one victim's arc.

import { generateIdentity } from '../../overlay/identity.js';
import type { Random } from '../../overlay/environment.js';
import type { NodeId } from '../../overlay/id.js';
import type { KeyMapping } from '../keys.js';
import type { StoreMessage } from '../messages.js';
import { RECORD_LIMITS, signProfile, type SignedRecord } from '../records.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function word(random: Random, prefix: string, length = 7): string {
  let text = prefix;
  while (text.length < length) text += LETTERS[random.int(LETTERS.length)];
  return text;
}

/**
 * `count` records, each by a fresh identity, each with RECORD_LIMITS.keywords (16) keywords that all
 * start with `prefix` (so they land on the arc of prefixRange(prefix)).
 */
export function throwawayRecords(random: Random, count: number, options: { prefix?: string; expiresAt: number }): SignedRecord[] {
  const prefix = options.prefix ?? '';
  const records: SignedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const owner = generateIdentity(random);
    // 5 name words + 2 city words + a nickname + 8 free words = 16 keywords, each under 64 characters.
    const words = Array.from({ length: RECORD_LIMITS.keywords }, () => word(random, prefix));
    const fields = { name: words.slice(0, 5).join(' '), city: words.slice(5, 7).join(' '), nickname: words[7], words: words.slice(8) };
    records.push(signProfile(owner, fields, { seq: 1, expiresAt: options.expiresAt }));
  }
  return records;
}

/** The store frames one record makes: one per keyword, each routed to that keyword's key. */
export function storeFrames(record: SignedRecord, mapping: KeyMapping): { key: NodeId; body: StoreMessage }[] {
  return record.keywords.map((keyword) => ({ key: mapping.keywordKey(keyword, record.uid), body: { t: 'scan/store', keyword, record } }));
}

/** Wraps a verifier and counts the signature checks that reach it. */
export function countingVerifier<V extends (...args: never[]) => boolean>(verify: V): V & { calls: number } {
  const counted = ((...args: Parameters<V>) => {
    counted.calls++;
    return verify(...args);
  }) as V & { calls: number };
  counted.calls = 0;
  return counted;
}
