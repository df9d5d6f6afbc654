// Seeds this browser learned from the overlay's seed board, kept across reloads so the next join can
// try them when the origin's introducer is gone. Shared by every profile of the origin: a seed is a
// fact about the network, not about a user. Bounded: the freshest `max` (latest seen) are kept.

import { createStore, get, set } from 'idb-keyval';
import { validSeedUrl } from './config.js';

export interface LearnedSeed {
  readonly url: string;
  /** Wall-clock ms when the overlay last named it. */
  readonly seenAt: number;
}

export interface SeedCache {
  load(): Promise<LearnedSeed[]>;
  /** Merges `urls` seen at `now` into the kept list and stores it; resolves with the new list. */
  remember(urls: readonly string[], now: number): Promise<LearnedSeed[]>;
}

export const MAX_LEARNED_SEEDS = 6;
/** A seed unseen for this long is forgotten even if nothing fresher replaced it. */
const LEARNED_SEED_MAX_AGE_MS = 14 * 24 * 60 * 60_000;

/** Cleans what storage gave back: anything could be there after a version change or a user's edit. */
export function cleanSeeds(raw: unknown, now: number, max = MAX_LEARNED_SEEDS): LearnedSeed[] {
  if (!Array.isArray(raw)) return [];
  const byUrl = new Map<string, LearnedSeed>();
  for (const item of raw.slice(0, 4 * max)) {
    if (typeof item !== 'object' || item === null) continue;
    const url = validSeedUrl((item as { url?: unknown }).url);
    const seenAt = (item as { seenAt?: unknown }).seenAt;
    if (!url || typeof seenAt !== 'number' || !Number.isFinite(seenAt) || now - seenAt > LEARNED_SEED_MAX_AGE_MS) continue;
    if ((byUrl.get(url)?.seenAt ?? -Infinity) < seenAt) byUrl.set(url, { url, seenAt });
  }
  return [...byUrl.values()].sort((a, b) => b.seenAt - a.seenAt).slice(0, max);
}

export function memorySeedCache(): SeedCache {
  let kept: LearnedSeed[] = [];
  return {
    load: async () => kept,
    remember: async (urls, now) => (kept = cleanSeeds([...urls.map((url) => ({ url, seenAt: now })), ...kept], now)),
  };
}

export function indexedDbSeedCache(): SeedCache {
  const store = createStore('dima-seeds', 'seeds');
  const load = async () => cleanSeeds(await get('learned', store).catch(() => []), Date.now());
  return {
    load,
    async remember(urls, now) {
      const kept = cleanSeeds([...urls.map((url) => ({ url, seenAt: now })), ...(await load())], now);
      await set('learned', kept, store).catch(() => {});
      return kept;
    },
  };
}
