import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPeer, type RunningPeer } from './peer.js';

let peers: RunningPeer[] = [];
afterEach(async () => {
  for (const peer of peers) await peer.crash();
  peers = [];
});

async function until(done: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('a seed peer', () => {
  it('announces its introducer on the seed board under --seed-url, and serves the app with --serve-dist', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'dima-dist-'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>DIMA</title>');
    const peer = await startPeer({ bootstrap: null, seedPort: 0, seedUrl: 'wss://seed.example/bootstrap', serveDist: dist });
    peers.push(peer);
    expect(peer.seedUrl).toBe('wss://seed.example/bootstrap');
    // Alone in its ring, the seed is the root of the board's key: its own record is there.
    await until(() => peer.seeds.holding().length > 0);
    expect(peer.seeds.holding().map((record) => [record.url, record.uid])).toEqual([['wss://seed.example/bootstrap', peer.node.id]]);
    const page = await fetch(peer.seedHttpUrl!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>DIMA</title>');
  });

  it('announces its own ws://host:port/bootstrap by default, serves no files without --serve-dist, and refuses a --seed-url that is not ws(s)', async () => {
    const peer = await startPeer({ bootstrap: null, seedPort: 0 });
    peers.push(peer);
    expect(peer.seedUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/bootstrap$/);
    expect((await fetch(peer.seedHttpUrl!)).status).toBe(404);
    await expect(startPeer({ bootstrap: null, seedPort: 0, seedUrl: 'https://seed.example/' })).rejects.toThrow(/--seed-url/);
  });
});
