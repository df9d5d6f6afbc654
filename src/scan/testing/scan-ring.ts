// UNIT-TEST HELPER: a FakeRing of ScanDirectory nodes with seeded identities and a ManualClock.

import { generateIdentity } from '../../overlay/identity.js';
import type { Random } from '../../overlay/environment.js';
import { ScanDirectory, type ScanConfig } from '../directory.js';
import type { KeyMapping } from '../keys.js';
import { FakeRing } from './fake-ring.js';
import { ManualClock } from './manual-clock.js';
import { seededRandom } from './seeded-random.js';

export interface ScanRing {
  clock: ManualClock;
  ring: FakeRing;
  random: Random;
  directories: Map<string, ScanDirectory>;
  addNode(): ScanDirectory;
  fail(directory: ScanDirectory): void;
  anyLive(): ScanDirectory;
}

export function scanRing(size: number, options: { seed?: number; mapping?: KeyMapping; config?: Partial<ScanConfig> } = {}): ScanRing {
  const clock = new ManualClock();
  const random = seededRandom(options.seed ?? 1);
  const ring = new FakeRing(clock);
  const directories = new Map<string, ScanDirectory>();
  const addNode = () => {
    const identity = generateIdentity(random);
    const directory = new ScanDirectory({
      connect: ring.join(identity.id), identity, clock, random, mapping: options.mapping, config: options.config,
    });
    directories.set(identity.id, directory);
    return directory;
  };
  for (let i = 0; i < size; i++) addNode();
  return {
    clock, ring, random, directories, addNode,
    fail: (directory) => {
      directory.stop();
      directories.delete(directory.localId);
      ring.fail(directory.localId);
    },
    anyLive: () => directories.get(ring.ids()[random.int(ring.ids().length)]) as ScanDirectory,
  };
}
