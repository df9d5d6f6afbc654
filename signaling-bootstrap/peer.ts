// A headless DIMA node in Node.js: the same PastryNode a browser tab runs, over real WebRTC
// (@roamhq/wrtc). It volunteers as an entry point at the bootstrap, and with --seed-port it serves
// the introduction protocol itself, so new nodes can still join when the bootstrap server is gone,
// and announces that introducer on the overlay's seed board (src/app/seed-board.ts: signed soft
// state, re-announced), so tabs that were in the ring learn of it and come back through it.
// Like a tab it serves the SCAN directory (records whose keys it is the root of would be lost
// otherwise); the echo peer also publishes an entry, so a browser user finds it by searching.
//
//   npm run peer -- --bootstrap ws://127.0.0.1:8080/bootstrap [--name NAME] [--echo] [--seed-port PORT
//                   [--seed-host HOST] [--seed-url wss://PUBLIC/bootstrap] [--serve-dist ./dist]]
//
//   --bootstrap URL   introducer to join through (the server's ws://.../bootstrap, or another seed's)
//   --name NAME       label in the logs; with --echo the IM profile and directory name (default "Echo")
//   --echo            answer every overlay request ('dima.echo') and every IM message, as in the paper's demo,
//                     and publish a SCAN directory entry under NAME
//   --seed-port PORT  also introduce new nodes on ws://HOST:PORT/bootstrap (--seed-host, default 127.0.0.1)
//   --seed-url URL    the URL others reach that introducer at, announced on the seed board (default
//                     ws://HOST:PORT/bootstrap; set it behind a proxy or TLS terminator: wss://...)
//   --serve-dist DIR  the seed's port also serves the built app from DIR, so it can stand in for the server
//   --stun URL        an ICE server (repeatable); none needed on one host or one LAN
//   --first           start a new ring without a bootstrap (a seed that is the very first node)

import wrtc from '@roamhq/wrtc';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { bootstrapSignaller, keepVolunteering } from '../src/overlay/bootstrap/client.js';
import { generateIdentity, type Identity } from '../src/overlay/identity.js';
import { watchForIslands } from '../src/overlay/island-watch.js';
import type { OverlayConfig } from '../src/overlay/config.js';
import { PastryNode } from '../src/overlay/pastry-node.js';
import { cryptoRandom, realClock } from '../src/overlay/transports/real-environment.js';
import { WebRtcTransport, type IceServerSource, type WrtcImplementation } from '../src/overlay/transports/webrtc-transport.js';
import { ICE_ARG_OPTIONS, iceServersFromFlags } from './ice-config.js';
import { scanBuddySearch } from '../src/im/directory-search.js';
import { Messenger } from '../src/im/messenger.js';
import { memoryStorage } from '../src/im/storage.js';
import { SCAN_APPLICATION, ScanDirectory } from '../src/scan/directory.js';
import { validSeedUrl } from '../src/app/config.js';
import { SEEDS_APPLICATION, SeedBoard, type SeedBoardConfig } from '../src/app/seed-board.js';
import { RECORD_LIMITS } from '../src/scan/records.js';
import { exitOnStopSignal, runIfMain } from './command-line.js';
import { Introducer } from './introducer.js';
import { startServer, type RunningServer } from './server.js';

/** Overlay application of --echo: replies to every request with its own body (RTT probes, demos). */
export const ECHO_APPLICATION = 'dima.echo';
/** The echo peer's IM profile and directory name when --name is not given. */
const DEFAULT_ECHO_NAME = 'Echo';

export interface PeerOptions {
  bootstrap: string | null;
  name?: string;
  echo?: boolean;
  seedPort?: number;
  seedHost?: string;
  /** Announced on the seed board; default the seed's own ws://host:port/bootstrap. */
  seedUrl?: string;
  /** Serve the built app from this directory on the seed's port. */
  serveDist?: string;
  /** Seed-board timers (tests announce more often). */
  seedBoard?: Partial<SeedBoardConfig>;
  iceServers?: IceServerSource;
  /** Overlay timers and sizes (tests and benches shorten the maintenance timers). */
  config?: Partial<OverlayConfig>;
  log?: (line: string) => void;
}

export interface RunningPeer {
  identity: Identity;
  node: PastryNode;
  transport: WebRtcTransport;
  directory: ScanDirectory;
  seeds: SeedBoard;
  messenger: Messenger | null;
  /** The introducer URL this peer announces, with --seed-port. */
  seedUrl: string | null;
  /** http://host:port/ of the seed's port (serving the app with --serve-dist). */
  seedHttpUrl: string | null;
  seedStats: Introducer['stats'] | null;
  /** Graceful leave: tells the leaf set, closes links, stops volunteering and the seed. */
  leave(): Promise<void>;
  /** A crash: closes links without telling anyone, stops volunteering and the seed. */
  crash(): Promise<void>;
}

export async function startPeer(options: PeerOptions): Promise<RunningPeer> {
  const log = options.log ?? (() => {});
  // Checked before anything starts, so a bad flag leaves nothing running.
  if (options.seedUrl !== undefined && !validSeedUrl(options.seedUrl)) {
    throw new Error(`--seed-url must be a ws:// or wss:// URL of at most 256 characters (got ${options.seedUrl.slice(0, 80)})`);
  }
  const identity = generateIdentity();
  // No page limit in Node: @roamhq/wrtc constructs as many peer connections as memory allows.
  const transport = new WebRtcTransport({ identity, wrtc: wrtc as unknown as WrtcImplementation, iceServers: options.iceServers, peerConnectionLimit: Infinity });
  const node = new PastryNode({ transport, clock: realClock, random: cryptoRandom, config: options.config });
  log(`node ${identity.id}`);

  // realClock is wall-clock time: records and IM notices carry times that other nodes compare.
  const directory = new ScanDirectory({ connect: (app) => node.register(SCAN_APPLICATION, app), identity, clock: realClock, random: cryptoRandom });
  const seeds = new SeedBoard({ connect: (app) => node.register(SEEDS_APPLICATION, app), clock: realClock, random: cryptoRandom, config: options.seedBoard });
  const echoName = (options.name ?? DEFAULT_ECHO_NAME).slice(0, RECORD_LIMITS.fieldChars);
  let messenger: Messenger | null = null;
  if (options.echo) {
    node.register(ECHO_APPLICATION, { deliver: (msg) => msg.reply?.(msg.body) });
    messenger = await Messenger.open({
      identity, storage: memoryStorage(), overlay: node, clock: realClock, random: cryptoRandom, search: scanBuddySearch(directory),
    });
    await messenger.setProfile({ name: echoName, keywords: [] });
    const im = messenger;
    im.on('request', ({ from }) => void im.acceptBuddy(from).catch(() => {}));
    im.on('message', ({ from, text }) => void im.send(from, text).catch(() => {}));
  }

  const signaller = options.bootstrap ? await bootstrapSignaller(options.bootstrap, WebSocket, { clock: realClock }) : null;
  log(signaller ? 'joining through the bootstrap' : 'first node: starting a new ring');
  await node.start(signaller);
  messenger?.start();
  if (options.echo) directory.publish({ name: echoName });
  log(`joined: ${node.links.size} links, leaf set ${node.leafSet.members().length}`);

  const volunteering = options.bootstrap
    ? keepVolunteering(options.bootstrap, transport, WebSocket, {
        clock: realClock,
        onState: (state) => log(`bootstrap: ${state}`),
        onMeet: (signal) => void node.meet(signal).then((m) => m.merged && log(`merged with the ring of ${m.peer}`), () => {}),
      })
    : null;

  // A leaf set that is not full may mean a ring of our own (island-watch.ts): meet a fresh introduction.
  const bootstrapUrl = options.bootstrap;
  const islandWatch = bootstrapUrl
    ? watchForIslands(node, { introduce: async () => (await bootstrapSignaller(bootstrapUrl, WebSocket, { clock: realClock })) ?? undefined })
    : null;

  let seed: RunningServer | null = null;
  let seedIntroducer: Introducer | null = null;
  let seedUrl: string | null = null;
  if (options.seedPort !== undefined) {
    seedIntroducer = new Introducer({ clock: realClock });
    seedIntroducer.addLocalVolunteer((offer) => transport.answer(null, offer));
    seed = await startServer({ port: options.seedPort, host: options.seedHost, distDir: options.serveDist ?? null, introducer: seedIntroducer });
    seedUrl = validSeedUrl(options.seedUrl ?? seed.bootstrapUrl)!;
    seeds.announce(identity, seedUrl);
    log(`seed: introducing new nodes on ${seed.bootstrapUrl}, announced as ${seedUrl}${options.serveDist ? `, app from ${options.serveDist}` : ''}`);
  }

  const shutDown = async (tellPeers: boolean) => {
    volunteering?.stop();
    islandWatch?.stop();
    seeds.stop();
    // A crash stops the node first, so the messenger's "offline" notices go nowhere.
    if (!tellPeers) node.stop();
    messenger?.stop();
    if (tellPeers && options.echo && node.state === 'joined') directory.unpublish();
    directory.stop();
    if (tellPeers) node.leave();
    await seed?.close();
  };
  return {
    identity,
    node,
    transport,
    directory,
    seeds,
    messenger,
    seedUrl,
    seedHttpUrl: seed?.url ?? null,
    seedStats: seedIntroducer?.stats ?? null,
    leave: () => shutDown(true),
    crash: () => shutDown(false),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bootstrap: { type: 'string' },
      name: { type: 'string' },
      echo: { type: 'boolean', default: false },
      'seed-port': { type: 'string' },
      'seed-host': { type: 'string', default: '127.0.0.1' },
      'seed-url': { type: 'string' },
      'serve-dist': { type: 'string' },
      ...ICE_ARG_OPTIONS,
      first: { type: 'boolean', default: false },
    },
  });
  if (!values.bootstrap && !values.first) {
    console.error('usage: peer --bootstrap ws://HOST:PORT/bootstrap [--name NAME] [--echo] [--seed-port PORT [--seed-url URL] [--serve-dist DIR]]  (or --first)');
    process.exit(2);
  }
  const name = values.name ?? (values.echo ? DEFAULT_ECHO_NAME : 'peer');
  const peer = await startPeer({
    bootstrap: values.bootstrap ?? null,
    name,
    echo: values.echo,
    seedPort: values['seed-port'] !== undefined ? Number(values['seed-port']) : undefined,
    seedHost: values['seed-host'],
    seedUrl: values['seed-url'],
    serveDist: values['serve-dist'],
    iceServers: iceServersFromFlags(values, process.env),
    log: (line) => console.log(`[${name}] ${line}`),
  });
  console.log(`[${name}] uid ${peer.node.id}${peer.seedUrl ? `  seed ${peer.seedUrl}` : ''}`);
  const status = setInterval(() => {
    const s = peer.transport.stats;
    console.log(`[${name}] ${peer.node.state}: ${peer.node.links.size} links, leaf set ${peer.node.leafSet.members().length}, frames in/out ${s.framesReceived}/${s.framesSent}`);
  }, 30_000);
  exitOnStopSignal(() => {
    clearInterval(status);
    return peer.leave();
  });
}

runIfMain(import.meta.url, main);
