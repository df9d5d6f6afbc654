// The SCAN buddy directory on the real simulated overlay (PastryNodes on SimNetwork, frequency keys):
// 2,000 nodes, 5,000 faker users (Swedish, German, French, Polish, Spanish, Italian, English names,
// accents included) publishing through 2-3 users per node. What must hold (the issue's "must show"):
// exact full names are always found, a surname's first three letters list the user, recall stays
// >= 99% after 10% of the nodes crash silently and the ring repairs, and a malicious directory node
// can never get a forged record returned. Searches are sampled; the network and user counts are not.
//   SCAN_SIM_NODES (2000), SCAN_SIM_USERS (5000), SCAN_SIM_SAMPLE (300)

import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { NodeId } from '../../src/overlay/id.js';
import { generateIdentity, verifySignature } from '../../src/overlay/identity.js';
import type { ScanDirectory } from '../../src/scan/directory.js';
import { FREQUENCY_MAPPING } from '../../src/scan/keys.js';
import { signProfile, validateRecord, type SignedRecord } from '../../src/scan/records.js';
import type { SearchResult } from '../../src/scan/search.js';
import { normalizedPrefix, ScanWorld, type ScanUser } from './scan-world.js';

const NODES = Number(process.env.SCAN_SIM_NODES ?? 2000);
const USERS = Number(process.env.SCAN_SIM_USERS ?? 5000);
const SAMPLE = Number(process.env.SCAN_SIM_SAMPLE ?? 300);
const mapping = FREQUENCY_MAPPING;

let world: ScanWorld;
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

/** Every `USERS / SAMPLE`-th user, so the sample spans all locales and publishing nodes. */
function sample(count = SAMPLE, offset = 0): ScanUser[] {
  const step = Math.max(1, Math.floor(world.users.length / count));
  return Array.from({ length: Math.min(count, world.users.length) }, (_, i) => world.users[(offset + i * step) % world.users.length]);
}

/** A live directory to search from, different for each query. */
function origin(i: number): ScanDirectory {
  const live = world.liveDirectories(mapping);
  return live[(i * 7919) % live.length];
}

const finds = (result: SearchResult, user: ScanUser) => result.hits.some((hit) => hit.uid === user.identity.id);
const hasAccent = (text: string) => text !== text.normalize('NFKD').replace(/\p{M}/gu, '');

beforeAll(async () => {
  world = await ScanWorld.create({
    seed: 7, nodes: NODES, users: USERS, mappings: [mapping], concurrency: 100,
    onProgress: (stage) => console.log(`scan sim: ${stage} (${elapsed()})`),
  });
}, 600_000);

describe(`SCAN directory on ${NODES} simulated Pastry nodes with ${USERS} users`, () => {
  it('finds every sampled user by exact full name, accented names also by their unaccented spelling', async () => {
    const users = sample();
    const results = await world.searchAll(users.map((user, i) => ({ from: origin(i), text: user.name })));
    const missed = users.filter((user, i) => !finds(results[i], user)).map((user) => user.name);
    expect(missed).toEqual([]);

    const accented = world.users.filter((user) => hasAccent(user.name)).slice(0, SAMPLE);
    expect(accented.length).toBeGreaterThan(SAMPLE / 4);
    const plain = accented.map((user) => user.name.normalize('NFKD').replace(/\p{M}/gu, ''));
    const folded = await world.searchAll(plain.map((text, i) => ({ from: origin(i + 1), text })));
    expect(accented.filter((user, i) => !finds(folded[i], user)).map((user) => user.name)).toEqual([]);
    console.log(`scan sim: ${users.length} exact and ${accented.length} unaccented searches, all found (${elapsed()})`);
  }, 300_000);

  it('lists the user among the results for the first three letters of the surname', async () => {
    const users = sample(SAMPLE, 1);
    const results = await world.searchAll(users.map((user, i) => ({ from: origin(i + 2), text: normalizedPrefix(user.surname, 3) })));
    const missed = users
      .map((user, i) => ({ user, result: results[i] }))
      .filter(({ user, result }) => !finds(result, user))
      .map(({ user, result }) => `${user.name} (${result.hits.length} hits${result.truncated ? `, truncated, ${result.unchecked} unchecked` : ''})`);
    expect(missed).toEqual([]);
    const hits = results.map((result) => result.hits.length);
    // Incomplete: some walk node's reply never came back (the overlay dropped it) before the timeout.
    const incomplete = results.filter((result) => !result.complete).length;
    console.log(
      `scan sim: ${users.length} surname-prefix searches, mean ${(hits.reduce((a, b) => a + b, 0) / hits.length).toFixed(1)} hits, ` +
        `max ${Math.max(...hits)}, ${incomplete} incomplete (${elapsed()})`,
    );
  }, 300_000);

  it('never returns a forged record a malicious node injects (wrong signature, or someone else\'s uid)', async () => {
    const victims = sample(20, 2);
    const mallory = generateIdentity(world.sim.random.fork('mallory'));
    const forgeriesOf = (victim: ScanUser): SignedRecord[] => {
      const genuine = victim.publishers[0].record!;
      const seq = genuine.seq + 1_000;
      return [
        // Mallory's own key and signature under the victim's uid: uid != hash(public key).
        { ...signProfile(mallory, { name: victim.name, city: 'Mallorytown' }, { seq, expiresAt: genuine.expiresAt }), uid: victim.identity.id },
        // The victim's uid and key, fields changed, signature kept (or Mallory's): the signature fails.
        { ...genuine, seq, fields: { ...genuine.fields, city: 'Mallorytown' } },
        { ...genuine, seq, fields: { ...genuine.fields, city: 'Mallorytown' }, signature: bytesToHex(mallory.sign(new Uint8Array([1]))) },
      ];
    };
    // The malicious nodes: the directory node that serves each victim's surname walk first. It
    // answers queries with forgeries, stores them under the victim's keys and pushes them to its leaves.
    const malicious = new Map<NodeId, SignedRecord[]>();
    for (const victim of victims) {
      const root = world.sim.rootOf(mapping.prefixRange(normalizedPrefix(victim.surname, 3)).start);
      malicious.set(root, [...(malicious.get(root) ?? []), ...forgeriesOf(victim)]);
    }
    for (const [id, forged] of malicious) {
      const directory = world.directory(mapping, id);
      const node = world.sim.nodes.get(id)!;
      const deliver = directory.deliver.bind(directory);
      directory.deliver = (msg) => {
        if ((msg.body as { t?: string }).t === 'scan/query') msg.reply?.({ t: 'scan/results', records: forged, walked: 1, done: false, truncated: false, part: 1, parts: 1 });
        deliver(msg);
      };
      for (const record of forged) {
        for (const keyword of record.keywords) {
          node.route(mapping.keywordKey(keyword, record.uid), `scan/${mapping.name}`, { t: 'scan/store', keyword, record });
        }
        for (const leaf of node.leafSet.members()) {
          node.sendDirect(leaf, `scan/${mapping.name}`, { t: 'scan/replicas', items: record.keywords.map((keyword) => ({ keyword, record })) });
        }
      }
    }
    await world.sim.settle(2_000);

    const queries = victims.flatMap((victim) => [victim.name, normalizedPrefix(victim.surname, 3)]);
    const results = await world.searchAll(queries.map((text, i) => ({ from: origin(i + 3), text })));
    const now = world.sim.clock.now();
    for (const [i, result] of results.entries()) {
      const victim = victims[Math.floor(i / 2)];
      expect(finds(result, victim), `${queries[i]} finds ${victim.name}`).toBe(true);
      for (const hit of result.hits) {
        expect(validateRecord(hit.record, now, verifySignature).ok).toBe(true);
        expect(hit.record.fields.city).not.toBe('Mallorytown');
      }
    }
    expect(results.reduce((sum, result) => sum + result.rejected, 0)).toBeGreaterThan(0);
    const rejectedAtStores = world.liveDirectories(mapping).reduce((sum, d) => sum + d.counters.rejectedRecords, 0);
    expect(rejectedAtStores).toBeGreaterThan(0);
    console.log(`scan sim: ${malicious.size} malicious nodes; searchers dropped ${results.reduce((s, r) => s + r.rejected, 0)} forged records, stores ${rejectedAtStores} (${elapsed()})`);
  }, 300_000);

  it('keeps >= 99% recall after 10% of the nodes crash silently and the ring repairs for 90 s', async () => {
    const dead = world.crash(0.1);
    await world.sim.settle(90_000);
    const users = sample(SAMPLE, 3);
    const results = await world.searchAll(users.map((user, i) => ({ from: origin(i + 4), text: user.name })));
    const found = users.filter((user, i) => finds(results[i], user)).length;
    const copies = users.flatMap((user) => {
      const record = user.publishers[0].record!;
      return record.keywords.map((keyword) => world.liveDirectories(mapping).filter((d) => d.holds(user.identity.id, keyword)).length);
    });
    console.log(
      `scan sim: ${dead.size} nodes crashed; recall ${found}/${users.length}; live copies per keyword min ${Math.min(...copies)}, ` +
        `mean ${(copies.reduce((a, b) => a + b, 0) / copies.length).toFixed(2)} (${elapsed()})`,
    );
    expect(found / users.length).toBeGreaterThanOrEqual(0.99);
  }, 300_000);
});
