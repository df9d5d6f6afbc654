// A SCAN directory on the real simulated overlay, shared by tests/sim/scan.test.ts and
// bench/scan.bench.ts (which imports it from here): N PastryNodes (src/sim), one ScanDirectory per node and mapping, and
// seeded faker users (accented names included) each publishing through some node.
//
// Several mappings can share one overlay: each registers as its own application ('scan/ascii',
// 'scan/frequency'), so ASCII and frequency keys are compared on the same nodes and links.

import { fakerDE, fakerEN, fakerES, fakerFR, fakerIT, fakerPL, fakerSV, type Faker } from '@faker-js/faker';
import type { OverlayApplication, RoutedMessage } from '../../src/overlay/api.js';
import type { NodeId } from '../../src/overlay/id.js';
import { generateIdentity, type Identity } from '../../src/overlay/identity.js';
import type { PastryNode } from '../../src/overlay/pastry-node.js';
import { ScanDirectory, type ScanConfig } from '../../src/scan/directory.js';
import type { KeyMapping } from '../../src/scan/keys.js';
import { tokenize, type Keyword } from '../../src/scan/normalize.js';
import type { ProfilePublisher } from '../../src/scan/publisher.js';
import { memoizedVerifier, type SignatureVerifier } from '../../src/scan/records.js';
import type { SearchResult } from '../../src/scan/search.js';
import { Simulation, type SimulationOptions } from '../../src/sim/simulation.js';

/** Locales whose names carry accents and letters NFKD does not split (å, ö, ł, é, ñ, ß...). */
export const FAKER_LOCALES: readonly Faker[] = [fakerSV, fakerDE, fakerFR, fakerPL, fakerES, fakerIT, fakerEN];

export interface Person {
  name: string;
  city: string;
  /** The surname as written (the last word of name). */
  surname: string;
}

/** `count` realistic people, reproducible from `seed` (each person seeds faker on its own). */
function fakerPeople(count: number, seed: number): Person[] {
  return Array.from({ length: count }, (_, i) => {
    const faker = FAKER_LOCALES[i % FAKER_LOCALES.length];
    faker.seed(seed * 1_000_003 + i);
    const sex = faker.person.sexType();
    const first = faker.person.firstName(sex);
    const surname = faker.person.lastName(sex);
    return { name: `${first} ${surname}`, city: faker.location.city(), surname };
  });
}

/** The first `letters` characters of a word as SCAN normalises it ("Åberg" -> "abe"). */
export function normalizedPrefix(word: string, letters: number): Keyword {
  return (tokenize(word)[0] ?? '').slice(0, letters) as Keyword;
}

export interface ScanUser extends Person {
  identity: Identity;
  /** The node the user publishes through (several users share a node). */
  via: NodeId;
  publishers: ProfilePublisher[];
}

/** Counts of one query word's walk, seen at the directory nodes that served it. */
export interface WalkTrace {
  /** Overlay hops from the searcher to the first node of the walk. */
  routeHops: number;
  /** Nodes the walk visited. */
  nodes: number;
}

/** What traceWalks saw while its searches ran. */
export interface QueryTrace<T> {
  result: T;
  /** Walks keyed by searching node. */
  walks: Map<NodeId, WalkTrace[]>;
  /**
   * Frames on the simulated wire per searching node: its queries' routed requests, the relays along
   * each walk and every reply hop back (all carry the request's message id).
   */
  frames: Map<NodeId, number>;
}

export interface ScanWorldOptions {
  seed: number;
  nodes: number;
  users: number;
  mappings: KeyMapping[];
  concurrency?: number;
  signalling?: SimulationOptions['signalling'];
  /** Virtual time after the build, for leaf sets to converge (concurrent joins). */
  convergeMs?: number;
  scan?: Partial<ScanConfig>;
  onProgress?: (stage: string) => void;
}

export class ScanWorld {
  readonly sim: Simulation;
  /** Per mapping name: every node's directory. */
  readonly directories = new Map<string, Map<NodeId, ScanDirectory>>();
  readonly users: ScanUser[] = [];
  readonly verify: SignatureVerifier = memoizedVerifier(500_000);
  /** Query walks by search, while tracing is on (see traceWalks). */
  private walks: Map<string, WalkTrace> | undefined;
  /** Frames of traced queries by searching node, and the searching node of each query message id. */
  private frames: Map<NodeId, number> | undefined;
  private readonly queryOrigins = new Map<string, NodeId>();

  private constructor(readonly options: ScanWorldOptions) {
    this.sim = new Simulation({ seed: options.seed, signalling: options.signalling });
    this.tapWire();
  }

  /**
   * Counts query frames where the simulated network puts them on the wire (SimNetwork.deliver, the
   * one place every frame passes), so a figure is a count, not hops added up after the fact.
   */
  private tapWire(): void {
    const network = this.sim.network;
    const deliver = network.deliver.bind(network);
    network.deliver = (to, frame, delay) => {
      if (this.frames) this.countFrame(frame);
      deliver(to, frame, delay);
    };
  }

  private countFrame(raw: unknown): void {
    const frame = raw as { t?: unknown; id?: unknown; origin?: NodeId; body?: { t?: unknown } };
    if (typeof frame.id !== 'string') return;
    let origin: NodeId | undefined;
    if ((frame.t === 'route' || frame.t === 'direct') && frame.body?.t === 'scan/query' && frame.origin) {
      origin = frame.origin;
      this.queryOrigins.set(frame.id, origin);
    } else if (frame.t === 'reply') {
      origin = this.queryOrigins.get(frame.id);
    }
    if (origin !== undefined) this.frames!.set(origin, (this.frames!.get(origin) ?? 0) + 1);
  }

  static async create(options: ScanWorldOptions): Promise<ScanWorld> {
    const world = new ScanWorld(options);
    await world.build();
    return world;
  }

  private async build(): Promise<void> {
    const { sim, options } = this;
    await sim.build(options.nodes, { concurrency: options.concurrency ?? 100 });
    options.onProgress?.(`built ${options.nodes} nodes`);
    await sim.settle(options.convergeMs ?? 30_000);
    const keys = sim.random.fork('scan-identities');
    for (const mapping of options.mappings) {
      const directories = new Map<NodeId, ScanDirectory>();
      for (const node of sim.liveNodes()) directories.set(node.id, this.attach(node, mapping, keys));
      this.directories.set(mapping.name, directories);
    }
    const nodes = sim.liveNodes();
    for (const [i, person] of fakerPeople(options.users, options.seed).entries()) {
      const via = nodes[i % nodes.length].id;
      const identity = generateIdentity(keys);
      const publishers = options.mappings.map((mapping) => this.directory(mapping, via).publisherFor(identity));
      for (const publisher of publishers) publisher.publish({ name: person.name, city: person.city });
      this.users.push({ ...person, identity, via, publishers });
    }
    await sim.settle(5_000);
    options.onProgress?.(`published ${options.users} users`);
  }

  private attach(node: PastryNode, mapping: KeyMapping, keys: ReturnType<Simulation['random']['fork']>): ScanDirectory {
    const directory = new ScanDirectory({
      connect: (app) => node.register(`scan/${mapping.name}`, this.traced(app)),
      identity: generateIdentity(keys),
      clock: this.sim.clock,
      random: this.sim.random.fork(`scan-${mapping.name}-${node.id}`),
      mapping,
      config: this.options.scan,
      verify: this.verify,
    });
    return directory;
  }

  /** Wraps a directory's deliver so query walks can be counted (tracing costs nothing while off). */
  private traced(app: OverlayApplication): OverlayApplication {
    const deliver = app.deliver.bind(app);
    app.deliver = (msg: RoutedMessage) => {
      const body = msg.body as { t?: string; prefix?: string; walked?: number };
      if (this.walks && body.t === 'scan/query' && msg.reply) {
        const id = `${msg.origin}|${body.prefix}`;
        const walk = this.walks.get(id) ?? { routeHops: 0, nodes: 0 };
        if (body.walked === 0) walk.routeHops = msg.hops;
        walk.nodes++;
        this.walks.set(id, walk);
      }
      deliver(msg);
    };
    return app;
  }

  directory(mapping: KeyMapping, node: NodeId): ScanDirectory {
    const directory = this.directories.get(mapping.name)?.get(node);
    if (!directory) throw new Error(`no ${mapping.name} directory at ${node}`);
    return directory;
  }

  liveDirectories(mapping: KeyMapping): ScanDirectory[] {
    return this.sim.liveNodes().map((node) => this.directory(mapping, node.id));
  }

  /**
   * Runs every query at once from its own origin, lets `waitMs` of virtual time pass, and returns
   * the results in order. Origins should be distinct per query text (walk tracing keys on them).
   */
  async searchAll(queries: { from: ScanDirectory; text: string }[], waitMs = 6_000): Promise<SearchResult[]> {
    const pending = queries.map(({ from, text }) => from.search(text));
    await this.sim.settle(waitMs);
    return Promise.all(pending);
  }

  /** Counts query walks and their frames while `run` runs (see QueryTrace). */
  async traceWalks<T>(run: () => Promise<T>): Promise<QueryTrace<T>> {
    this.walks = new Map();
    const frames = new Map<NodeId, number>();
    this.frames = frames;
    try {
      const result = await run();
      const walks = new Map<NodeId, WalkTrace[]>();
      for (const [id, walk] of this.walks) {
        const origin = id.split('|')[0] as NodeId;
        walks.set(origin, [...(walks.get(origin) ?? []), walk]);
      }
      return { result, walks, frames };
    } finally {
      this.walks = undefined;
      this.frames = undefined;
      this.queryOrigins.clear();
    }
  }

  /** Silently crashes `fraction` of the live nodes; their directories and publishers stop with them. */
  crash(fraction: number): Set<NodeId> {
    const dead = new Set(this.sim.crash(fraction, true));
    for (const directories of this.directories.values()) for (const id of dead) directories.get(id)?.stop();
    for (const user of this.users) if (dead.has(user.via)) for (const publisher of user.publishers) publisher.stop();
    return dead;
  }
}
