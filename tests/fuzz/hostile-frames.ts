// Hostile input for the fuzz tests: valid frames of every protocol (so mutations reach deep into
// the decoders rather than failing on the first field) and a fast-check arbitrary that mutates them
// the way an attacker would: wrong types, huge and empty values, prototype keys, deep nesting,
// missing and extra fields, or no structure at all.

import fc from 'fast-check';

const ID_A = '0123456789abcdef0123456789abcdef';
const ID_B = 'fedcba9876543210fedcba9876543210';
const SIG = 'ab'.repeat(64);
const KEY = 'cd'.repeat(32);

export const OVERLAY_SAMPLES: unknown[] = [
  { t: 'route', id: 'm1', key: ID_A, origin: ID_B, hops: 1, app: '_join', body: { joiner: ID_B, candidates: [ID_A] }, want: true },
  { t: 'direct', id: 'm2', key: ID_A, origin: ID_B, hops: 0, app: '_signal', body: { kind: 'ask' }, want: true },
  { t: 'route', id: 'm3', key: ID_A, origin: ID_B, hops: 2, app: '_signal', body: { kind: 'offer', from: ID_B, offer: { kind: 'offer', data: 'v=0' } }, want: true },
  { t: 'reply', id: 'm1', from: ID_A, hops: 2, body: { root: ID_A, leafSet: [ID_B], candidates: [] } },
  { t: 'ping', stamp: 12 },
  { t: 'pong', stamp: 12 },
  { t: 'need', need: true },
  { t: 'ask', what: 'row', row: 3 },
  { t: 'nodes', what: 'leafset', ids: [ID_A, ID_B] },
  { t: 'announce' },
  { t: 'busy' },
  { t: 'ack', id: 'm1' },
  { t: 'leaving' },
];

export const IM_SAMPLES: unknown[] = [
  { t: 'im.chat', from: ID_A, to: ID_B, seq: 1, epoch: 'ef'.repeat(16), nonce: 'ab'.repeat(12), ct: 'ab'.repeat(40), sig: SIG },
  { t: 'im.receipt', from: ID_A, to: ID_B, ack: 3, epoch: 'ef'.repeat(16), sig: SIG },
  { t: 'im.notOnline', key: ID_A },
  { t: 'im.presence', from: ID_A, to: ID_B, state: 'online', session: 'ab'.repeat(8), echo: 'cd'.repeat(8), tick: 1, sig: SIG },
  { t: 'im.buddy', kind: 'request', from: ID_A, to: ID_B, publicKey: KEY, name: 'Åsa', epoch: 'ef'.repeat(8), at: 5, sig: SIG },
  { t: 'im.noticeTaken' },
];

const RECORD = {
  kind: 'profile', uid: ID_A, publicKey: KEY, fields: { name: 'Åsa Nordström' }, keywords: ['asa', 'nordstrom'],
  issuedAt: 1, expiresAt: 2, signature: SIG,
};

export const SCAN_SAMPLES: unknown[] = [
  { t: 'scan/store', keyword: 'nordstrom', record: RECORD },
  { t: 'scan/replicas', items: [{ keyword: 'asa', record: RECORD }] },
  { t: 'scan/query', prefix: 'nords', words: ['nords'], matchAll: true, walked: 0 },
  { t: 'scan/results', records: [RECORD], walked: 1, done: true, truncated: false, part: 1, parts: 1 },
];

export const BOOTSTRAP_SAMPLES: unknown[] = [
  { type: 'join' },
  { type: 'offer', offer: { kind: 'offer', data: 'v=0' } },
  { type: 'volunteer', id: ID_A },
  { type: 'answer', intro: 'a1', answer: { kind: 'answer', data: 'v=0' } },
  { type: 'decline', intro: 'a1' },
  { type: 'meet-offer', offer: { kind: 'offer', data: 'v=0' } },
  { type: 'first' },
  { type: 'meet' },
  { type: 'error', code: 'busy', message: 'x' },
];

// Big values are built once and shared: generating a 60 kB string per run made 100,000 runs take minutes.
const HUGE_STRING = 'x'.repeat(60_000);
const MANY_IDS = Array.from({ length: 5_000 }, () => ID_A);
const DEEP = (() => {
  let deep: unknown = ID_A;
  for (let i = 0; i < 2_000; i++) deep = { t: 'route', body: deep };
  return deep;
})();

/** Values an attacker puts where a field was: a fixed pool drawn once (seeded), picked by index. */
const NASTY_POOL: unknown[] = [
  null, undefined, NaN, Infinity, -1, 2 ** 53, -0, '', [], {}, true, '__proto__', 'constructor', 'toString',
  HUGE_STRING, MANY_IDS, DEEP, Object.assign(Object.create(null), { polluted: true }), ID_A, 'ab'.repeat(64),
  ...fc.sample(fc.anything({ maxDepth: 3 }), { numRuns: 2_000, seed: 7 }),
];

type Mutation = { path: number[]; kind: 'replace' | 'delete' | 'add'; key: string; value: unknown };
const KINDS = ['replace', 'delete', 'add'] as const;
const KEYS = ['__proto__', 'constructor', 't', 'type', 'body', 'x', ''];

function mutate(sample: unknown, mutations: Mutation[]): unknown {
  const copy = structuredClone(sample) as Record<string, unknown>;
  // Pool values are shared between runs: never descend into one and change it.
  const inserted = new Set<unknown>();
  for (const m of mutations) {
    let target: unknown = copy;
    for (const step of m.path) {
      if (typeof target !== 'object' || target === null) break;
      const keys = Object.keys(target);
      if (keys.length === 0) break;
      const next = (target as Record<string, unknown>)[keys[step % keys.length]];
      if (typeof next !== 'object' || next === null || inserted.has(next)) break;
      target = next;
    }
    if (typeof target !== 'object' || target === null) continue;
    const record = target as Record<string, unknown>;
    const keys = Object.keys(record);
    const key = m.kind === 'add' || keys.length === 0 ? m.key : keys[m.path.length % keys.length];
    if (m.kind === 'delete') delete record[key];
    else {
      Object.defineProperty(record, key, { value: m.value, enumerable: true, writable: true, configurable: true });
      inserted.add(m.value);
    }
  }
  return copy;
}

/** Mutated samples (most of the runs) and structureless junk. */
export function hostile(samples: unknown[]): fc.Arbitrary<unknown> {
  const mutation: fc.Arbitrary<Mutation> = fc
    .tuple(fc.nat(), fc.nat(), fc.nat(KINDS.length - 1), fc.nat(KEYS.length - 1), fc.nat(NASTY_POOL.length - 1))
    .map(([a, b, kind, key, value]) => ({ path: [a % 17, b % 17].slice(0, a % 3), kind: KINDS[kind], key: KEYS[key], value: NASTY_POOL[value] }));
  const nasty = fc.nat(NASTY_POOL.length - 1).map((i) => NASTY_POOL[i]);
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([s, ms]) => mutate(s, ms)) },
    { weight: 1, arbitrary: nasty },
    { weight: 1, arbitrary: fc.constantFrom(...samples) },
  );
}

/** The same as JSON text, as a WebSocket or data channel hands it over (sometimes not JSON at all). */
export function hostileText(samples: unknown[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: hostile(samples).map((value) => safeStringify(value)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constant(`{"type":"join","x":"${HUGE_STRING}"}`) },
  );
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '{"type":';
  }
}
