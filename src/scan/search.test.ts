import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../overlay/config.js';
import { generateIdentity } from '../overlay/identity.js';
import { MAX_RESULTS_BYTES, type ResultsMessage } from './messages.js';
import type { SearchHit } from './ranking.js';
import { signProfile } from './records.js';
import { scanRing } from './testing/scan-ring.js';
import { ASCII_MAPPING, FREQUENCY_MAPPING } from './keys.js';

type Setup = ReturnType<typeof scanRing>;

const PEOPLE = [
  { name: 'Åsa Nordström', city: 'Uppsala' },
  { name: 'Asa Nordin', city: 'Umeå' },
  { name: 'Erik Nordström', city: 'Göteborg' },
  { name: 'Nora Lind', city: 'Uppsala' },
  { name: 'Łukasz Nowak', city: 'Kraków' },
  { name: 'Zoë Ødegård', city: 'Bergen' },
];

async function populated(mapping = FREQUENCY_MAPPING, nodes = 60) {
  const setup = scanRing(nodes, { mapping, seed: 9 });
  const ids = [...setup.directories.values()];
  const owners = PEOPLE.map((fields, i) => ({ fields, directory: ids[i * 7] }));
  for (const { fields, directory } of owners) directory.publish(fields);
  await setup.clock.advance(200);
  return { setup, owners };
}

async function search(setup: Setup, text: string, options = {}) {
  const pending = setup.anyLive().search(text, options);
  await setup.clock.advance(6_000);
  return pending;
}

const names = (hits: SearchHit[]) => hits.map((hit) => hit.record.fields.name);

describe.each([FREQUENCY_MAPPING, ASCII_MAPPING])('search over a $name-keyed ring', (mapping) => {
  it('finds a user by exact full name, accents folded', async () => {
    const { setup } = await populated(mapping);
    const result = await search(setup, 'asa nordstrom');
    expect(names(result.hits)).toEqual(['Åsa Nordström']);
    expect(result.complete).toBe(true);
  });

  it('finds every user whose words start with each query word', async () => {
    const { setup } = await populated(mapping);
    expect(names((await search(setup, 'nor')).hits)).toEqual(['Nora Lind', 'Asa Nordin', 'Åsa Nordström', 'Erik Nordström']);
    expect(names((await search(setup, 'Nord UPP')).hits)).toEqual(['Åsa Nordström']);
    expect(names((await search(setup, 'lukasz')).hits)).toEqual(['Łukasz Nowak']);
    expect(names((await search(setup, 'odegard')).hits)).toEqual(['Zoë Ødegård']);
  });

  it('ranks by words matched when any word may match', async () => {
    const { setup } = await populated(mapping);
    const { hits } = await search(setup, 'nordstrom uppsala', { matchAll: false });
    expect(names(hits)[0]).toBe('Åsa Nordström');
    expect(hits.map((hit) => hit.matchedWords)).toEqual([2, 1, 1]);
  });
});

/** A ring of 80 where the first 40 nodes publish names "M..o Berg" (two letters vary): a prefix 'm' walks many nodes. */
async function fortyBergs() {
  const setup = scanRing(80, { seed: 4 });
  const all = [...setup.directories.values()];
  const letter = (i: number) => String.fromCharCode(97 + (i % 26));
  for (let i = 0; i < 40; i++) all[i].publish({ name: `M${letter(i)}${letter(i * 7)}o Berg` });
  await setup.clock.advance(200);
  return { setup, all };
}

describe('search', () => {
  it('streams results while walks are under way', async () => {
    const { setup } = await populated();
    const updates: number[] = [];
    await search(setup, 'nor', { onUpdate: (hits: SearchHit[]) => updates.push(hits.length) });
    expect(updates.length).toBeGreaterThan(0);
    expect(updates[updates.length - 1]).toBe(4);
  });

  it('walks the ring across many nodes for a short prefix', async () => {
    const { setup } = await fortyBergs();
    const result = await search(setup, 'm');
    expect(result.hits).toHaveLength(40);
    expect(setup.ring.delivered.get('scan/query')).toBeGreaterThan(1);
  });

  it('waits for every node of a walk when a later node\'s reply overtakes an earlier one', async () => {
    const { setup, all } = await fortyBergs();
    // Every reply but the walk's last arrives late (on the overlay: it took a longer reverse path).
    for (const directory of all) {
      const deliver = directory.deliver.bind(directory);
      directory.deliver = (msg) => {
        const reply = msg.reply;
        if (!reply) return deliver(msg);
        deliver({ ...msg, reply: (body) => ((body as { done: boolean }).done ? reply(body) : void setup.clock.setTimer(500, () => reply(body))) });
      };
    }
    const result = await search(setup, 'm');
    expect(result.hits).toHaveLength(40);
    expect(result.complete).toBe(true);
  });

  it('never returns forged records, even from a lying directory node', async () => {
    const { setup, owners } = await populated();
    const mallory = generateIdentity(setup.random);
    const victim = owners[0].directory.localId;
    const forged = { ...signProfile(mallory, { name: 'Åsa Nordström' }, { seq: 99, expiresAt: 60_000 }), uid: victim };
    for (const directory of setup.directories.values()) {
      const deliver = directory.deliver.bind(directory);
      directory.deliver = (msg) => {
        if ((msg.body as { t?: string }).t === 'scan/query') msg.reply?.({ t: 'scan/results', records: [forged], walked: 1, done: false, truncated: false, part: 1, parts: 1 });
        deliver(msg);
      };
    }
    const result = await search(setup, 'asa nordstrom');
    expect(names(result.hits)).toEqual(['Åsa Nordström']);
    expect(result.hits[0].record.seq).not.toBe(99);
    expect(result.rejected).toBeGreaterThan(0);
  });

  it('gives up at the timeout and says the result is incomplete', async () => {
    const { setup } = await populated();
    for (const directory of setup.directories.values()) directory.deliver = () => undefined;
    const result = await search(setup, 'nor', { timeoutMs: 1_000 });
    expect(result).toMatchObject({ hits: [], complete: false });
  });

  it('answers an empty query at once', async () => {
    const { setup } = await populated();
    expect(await setup.anyLive().search('  !! ')).toMatchObject({ words: [], hits: [], complete: true });
  });
});

describe('answers bigger than one frame', () => {
  // ~1.5 KB per record: 80 of them make one node's answer ~120 KB, twice the 64 KiB frame cap.
  const RECORDS = 80;
  const filler = (tag: string, i: number) => `${tag}${String(i).padStart(3, '0')}${'x'.repeat(50)}`;

  async function crowdedNode() {
    const setup = scanRing(6, { seed: 12 });
    const publisher = [...setup.directories.values()][0];
    for (let i = 0; i < RECORDS; i++) {
      publisher.publisherFor(generateIdentity(setup.random)).publish({
        name: `Quentinella ${filler('n', i).slice(0, 40)}`, nickname: filler('k', i), city: filler('c', i), email: filler('e', i),
        words: Array.from({ length: 8 }, (_, w) => filler(`w${w}`, i)),
      });
    }
    await setup.clock.advance(200);
    return setup;
  }

  it('are sent in parts, each under the frame cap, and the search gets every record', async () => {
    const setup = await crowdedNode();
    const result = await search(setup, 'quentinella');
    expect(result.hits).toHaveLength(RECORDS);
    expect(result).toMatchObject({ complete: true, truncated: false });
    expect(setup.ring.oversized).toBe(0);
    expect(Math.max(...setup.ring.replyBytes)).toBeLessThanOrEqual(MAX_RESULTS_BYTES);
    expect(setup.ring.replyBytes.reduce((sum, bytes) => sum + bytes, 0)).toBeGreaterThan(MAX_FRAME_BYTES);
    expect(setup.ring.replyBytes.length).toBeGreaterThan(setup.ring.delivered.get('scan/query')!);
  });

  it('waits for every part of a node\'s answer, whatever order the parts arrive in', async () => {
    const setup = await crowdedNode();
    // Every part but the last of each answer arrives late (on the overlay: parts may take different paths).
    for (const directory of setup.directories.values()) {
      const deliver = directory.deliver.bind(directory);
      directory.deliver = (msg) => {
        const reply = msg.reply;
        if (!reply) return deliver(msg);
        deliver({ ...msg, reply: (body) => {
          const { part, parts } = body as ResultsMessage;
          if (part === parts) reply(body);
          else setup.clock.setTimer(500, () => reply(body));
        } });
      };
    }
    const result = await search(setup, 'quentinella');
    expect(result.hits).toHaveLength(RECORDS);
    expect(result.complete).toBe(true);
  });
});
