// The paper's demo over real WebRTC: a headless `peer --echo` and a second peer with a Messenger
// become buddies (the echo peer accepts every request), and a message sent to the echo peer comes
// back. The user finds the echo peer (uid, public key) by a SCAN search for the name it published.

import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/im/chat.js';
import { scanBuddySearch } from '../../src/im/directory-search.js';
import { Messenger, type DirectoryEntry } from '../../src/im/messenger.js';
import { memoryStorage } from '../../src/im/storage.js';
import { cryptoRandom, realClock } from '../../src/overlay/transports/real-environment.js';
import { startPeer, type RunningPeer } from '../../signaling-bootstrap/peer.js';
import { startServer, type RunningServer } from '../../signaling-bootstrap/server.js';
import { eventually, settled } from './webrtc-ring.js';

let server: RunningServer;
const peers: RunningPeer[] = [];
let messenger: Messenger | null = null;

beforeAll(async () => {
  server = await startServer({ port: 0, distDir: null });
});

afterAll(async () => {
  messenger?.stop();
  await settled(peers);
  await Promise.all(peers.map((peer) => peer.crash()));
  await server.close();
});

describe('the echo peer (npm run peer -- --echo)', () => {
  it('accepts a buddy request and echoes every message back over real WebRTC', async () => {
    const echo = await startPeer({ bootstrap: server.bootstrapUrl, echo: true });
    peers.push(echo);
    await eventually(() => server.stats.volunteers === 1, 10_000);
    const user = await startPeer({ bootstrap: server.bootstrapUrl, name: 'user' });
    peers.push(user);
    expect(user.node.state).toBe('joined');

    const im = await Messenger.open({
      identity: user.identity, storage: memoryStorage(), overlay: user.node, clock: realClock, random: cryptoRandom,
      search: scanBuddySearch(user.directory),
    });
    messenger = im;
    im.start();
    const received: IncomingMessage[] = [];
    im.on('message', (message) => received.push(message));

    // Found by a prefix of the default name ("Echo"), as a browser user would search.
    let found: DirectoryEntry[] = [];
    await eventuallyAsync(async () => (found = await im.search('ech')).length > 0, 15_000);
    expect(found).toEqual([{ uid: echo.node.id, name: 'Echo', publicKey: bytesToHex(echo.identity.publicKey) }]);

    await im.requestBuddy(found[0]);
    await eventually(() => im.buddies().some((b) => b.uid === echo.node.id && b.status === 'accepted'), 15_000, () => JSON.stringify(im.buddies()));

    const t0 = performance.now();
    await im.send(echo.node.id, 'hello, echo');
    await eventually(() => received.length > 0, 15_000);
    console.info(`[echo-peer] echo round trip ${(performance.now() - t0).toFixed(1)} ms`);
    expect(received[0]).toMatchObject({ from: echo.node.id, text: 'hello, echo' });
  });
});

async function eventuallyAsync(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
