// One headless DIMA node inside a home of the NAT lab (scripts/nat-lab.sh), run by
// tests/integration/nat-turn.test.ts as `ip netns exec LAB-home-x tsx tests/integration/nat-lab-peer.ts ...`.
// It gets its ICE servers as a tab does (GET /ice through src/app/ice-config.ts), joins, and
// reports what happened as one JSON object per stdout line, for the test to read:
//
//   {"e":"ice","servers":[...]}            what /ice gave (URLs and whether a credential came with them)
//   {"e":"mode","mode":M}                  after a "mode M" line
//   {"e":"joined","id":...,"ms":...}       or {"e":"join-failed","ms":...,"reason":...}
//   {"e":"volunteering"}                   the introducer may hand this node to joiners
//   {"e":"paths","paths":{id: LinkPath}}   every open link's selected candidate pair
//   {"e":"echo","rttMs":...,"hops":...}    an overlay request to --target and its reply (again on a line "echo")
//   {"e":"chat","ms":...,"text":...}       an IM message to the echo node found by search, and its echo
//   {"e":"links","open":N,"at":ms,"stats":{...}}   whenever the open links or the ICE counters change
//
//   --bootstrap URL   --ice URL (GET /ice of the server)
//   --mode M          which of those servers to use: none, stun (stun: entries only) or turn (all; default);
//                     a line "mode M" on stdin changes it for the peer connections constructed after
//   --echo            serve dima.echo and the echo IM peer (the first home)
//   --target ID       after joining: paths, an echo request to ID, and a chat with the echo peer
//   NAT_LAB_TRACE=1   also {"e":"trace","paths":...} every second (what a failing link ran over)

import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { IceServersLoader, isTurnUrl, urlList } from '../../src/app/ice-config.js';
import { scanBuddySearch } from '../../src/im/directory-search.js';
import { Messenger } from '../../src/im/messenger.js';
import { memoryStorage } from '../../src/im/storage.js';
import type { NodeId } from '../../src/overlay/id.js';
import { cryptoRandom, realClock } from '../../src/overlay/transports/real-environment.js';
import { ECHO_APPLICATION, startPeer, type RunningPeer } from '../../signaling-bootstrap/peer.js';

const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bootstrap: { type: 'string' },
      ice: { type: 'string' },
      mode: { type: 'string', default: 'turn' },
      echo: { type: 'boolean', default: false },
      target: { type: 'string' },
    },
  });
  let served: RTCIceServer[] = [];
  if (values.ice) {
    const loader = new IceServersLoader({ url: values.ice, fetch, store: null, clock: realClock });
    await loader.load();
    served = loader.current();
    loader.stop();
  }
  say({ e: 'ice', servers: served.map((s) => ({ urls: s.urls, credential: s.credential !== undefined })) });
  let mode = values.mode!;
  let echoAgain: (() => void) | null = null;
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'echo') return echoAgain?.();
    const match = /^mode (none|stun|turn)$/.exec(line.trim());
    if (!match) return;
    mode = match[1];
    say({ e: 'mode', mode });
  });
  const iceServers = () =>
    mode === 'none' ? [] : mode === 'stun' ? served.filter((server) => !urlList(server.urls).some(isTurnUrl)) : served;

  const t0 = performance.now();
  let peer: RunningPeer;
  try {
    peer = await startPeer({
      bootstrap: values.bootstrap!,
      echo: values.echo,
      // The transport reads a function at every peer connection (IceServerSource); PeerOptions still
      // says RTCIceServer[] until peer.ts is widened.
      iceServers: iceServers as unknown as RTCIceServer[],
      log: (line) => {
        if (line === 'bootstrap: volunteering') say({ e: 'volunteering' });
      },
    });
  } catch (error) {
    say({ e: 'join-failed', ms: Math.round(performance.now() - t0), reason: error instanceof Error ? error.message : String(error) });
    return;
  }
  say({ e: 'joined', id: peer.node.id, ms: Math.round(performance.now() - t0) });

  let last = '';
  setInterval(() => {
    const open = peer.transport.openLinks;
    const { iceDisconnected, iceRecovered, iceDisconnectedClosed, iceFailedClosed, linksClosed, closedBy } = peer.transport.stats;
    // peersFailed: links the overlay gave up on (keep-alive silence); duplicateLinks: a second link to a peer already linked.
    const { peersFailed, duplicateLinks } = peer.node.stats;
    const stats = { iceDisconnected, iceRecovered, iceDisconnectedClosed, iceFailedClosed, linksClosed, closedBy: { ...closedBy }, peersFailed, duplicateLinks };
    const now = JSON.stringify({ open, stats });
    if (now === last) return;
    last = now;
    say({ e: 'links', open, at: Date.now(), stats });
  }, 50);

  if (process.env.NAT_LAB_TRACE) {
    setInterval(() => void peer.transport.linkPaths().then((paths) => say({ e: 'trace', paths: Object.fromEntries(paths) })), 1_000);
    // Every ICE and peer-connection state change of every session, as the RTCPeerConnection reports it.
    const watched = new WeakSet<object>();
    setInterval(() => {
      for (const session of (peer.transport as unknown as { sessions: Set<{ peer: { on(e: string, f: (...a: unknown[]) => void): void } }> }).sessions) {
        if (watched.has(session)) continue;
        watched.add(session);
        session.peer.on('iceStateChange', (state) => say({ e: 'ice-state', state, at: Date.now() }));
        session.peer.on('error', (error) => say({ e: 'peer-error', code: (error as { code?: string }).code, message: (error as Error).message, at: Date.now() }));
      }
    }, 20);
  }
  if (values.target) {
    const target = values.target as NodeId;
    say({ e: 'paths', paths: Object.fromEntries(await peer.transport.linkPaths()) });
    const echo = async (n: number) => {
      const t1 = performance.now();
      try {
        const reply = await peer.node.request(target, ECHO_APPLICATION, { ping: n });
        say({ e: 'echo', rttMs: +(performance.now() - t1).toFixed(1), hops: reply.hops, body: reply.body });
      } catch (error) {
        say({ e: 'echo-failed', reason: error instanceof Error ? error.message : String(error) });
      }
    };
    await echo(1);
    let n = 1;
    echoAgain = () => void echo(++n);
    await chat(peer);
  }
  process.on('SIGTERM', () => void peer.crash().finally(() => process.exit(0)));
}

/** The paper's demo: find the echo peer by name, become buddies, send a message, get it back. */
async function chat(peer: RunningPeer): Promise<void> {
  const im = await Messenger.open({
    identity: peer.identity, storage: memoryStorage(), overlay: peer.node, clock: realClock, random: cryptoRandom,
    search: scanBuddySearch(peer.directory),
  });
  im.start();
  const echoes: string[] = [];
  im.on('message', ({ text }) => echoes.push(text));
  const found = await until('search', async () => (await im.search('ech'))[0], 20_000);
  await im.requestBuddy(found);
  await until('buddy', async () => im.buddies().some((b) => b.uid === found.uid && b.status === 'accepted') || undefined, 20_000);
  const t0 = performance.now();
  await im.send(found.uid, 'hello across two NATs');
  await until('echo', async () => echoes[0], 20_000);
  say({ e: 'chat', ms: +(performance.now() - t0).toFixed(1), text: echoes[0] });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

main().catch((error: unknown) => {
  say({ e: 'error', reason: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
