// UNIT-TEST HELPER: a FakeRing of ScanDirectory nodes with seeded identities on the simulator's
// VirtualClock and SeededRandom (one clock and one PRNG for every test and the simulator).

import { generateIdentity } from '../../overlay/identity.js';
import type { Random } from '../../overlay/environment.js';
import { ScanDirectory, type ScanConfig } from '../directory.js';
import type { KeyMapping } from '../keys.js';
import type { SignatureVerifier } from '../records.js';
import { SeededRandom } from '../../sim/seeded-random.js';
import { VirtualClock } from '../../sim/virtual-clock.js';
import { FakeRing } from './fake-ring.js';

export interface ScanRing {
  clock: VirtualClock;
  ring: FakeRing;
  random: Random;
  directories: Map<string, ScanDirectory>;
  addNode(): ScanDirectory;
  fail(directory: ScanDirectory): void;
  anyLive(): ScanDirectory;
}

export function scanRing(size: number, options: { seed?: number; mapping?: KeyMapping; config?: Partial<ScanConfig>; verify?: SignatureVerifier } = {}): ScanRing {
  const clock = new VirtualClock();
  const random = new SeededRandom(options.seed ?? 1);
  const ring = new FakeRing(clock);
  const directories = new Map<string, ScanDirectory>();
  const addNode = () => {
    const identity = generateIdentity(random);
    const directory = new ScanDirectory({
      connect: ring.join(identity.id), identity, clock, random, mapping: options.mapping, config: options.config, verify: options.verify,
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
