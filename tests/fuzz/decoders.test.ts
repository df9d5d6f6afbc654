// Every decoder at the edge of a peer, the bootstrap or a data channel, fed 100,000 hostile inputs
// each (seeded): it returns a value or a reason, never throws, and what it accepts is well-formed.
// A live simulated node then takes 20,000 of them from a linked peer and still routes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeClientFrame, decodeServerFrame } from '../../src/overlay/bootstrap/protocol.js';
import { isNodeId } from '../../src/overlay/id.js';
import { decodeFrame as decodeOverlayFrame, decodeJoinBody, decodeJoinReply, decodeSignalBody } from '../../src/overlay/messages.js';
import { decodeFrame as decodeChannelData } from '../../src/overlay/transports/frame-codec.js';
import { decodeImMessage } from '../../src/im/wire.js';
import { decodeScanMessage } from '../../src/scan/messages.js';
import { checkRecord } from '../../src/scan/records.js';
import { Simulation } from '../../src/sim/simulation.js';
import { BOOTSTRAP_SAMPLES, IM_SAMPLES, OVERLAY_SAMPLES, SCAN_SAMPLES, hostile, hostileText } from './hostile-frames.js';

const RUNS = 100_000;
const SEED = 20261202;

/** Runs `check` on RUNS hostile inputs; any exception fails with the (shrunk) input that caused it. */
function fuzz<T>(arbitrary: fc.Arbitrary<T>, check: (input: T) => void, runs = RUNS): void {
  fc.assert(fc.property(arbitrary, (input) => void check(input)), { numRuns: runs, seed: SEED, endOnFailure: true });
}

describe('decoders under 100,000 hostile inputs each (seeded)', () => {
  it('the samples are valid, so mutations start from frames that would be accepted', () => {
    for (const sample of OVERLAY_SAMPLES) expect(decodeOverlayFrame(sample).ok, JSON.stringify(sample)).toBe(true);
    for (const sample of IM_SAMPLES) expect(decodeImMessage(sample), JSON.stringify(sample)).toBeDefined();
    for (const sample of SCAN_SAMPLES) expect(decodeScanMessage(sample), JSON.stringify(sample)).toBeDefined();
    const clientSamples = BOOTSTRAP_SAMPLES.filter((s) => decodeClientFrame(JSON.stringify(s)).ok);
    const serverSamples = BOOTSTRAP_SAMPLES.filter((s) => decodeServerFrame(JSON.stringify(s)) !== null);
    expect(clientSamples.length + serverSamples.length).toBe(BOOTSTRAP_SAMPLES.length);
  });

  it('overlay frames and the bodies of the internal applications: never a throw, accepted ids are ids', () => {
    fuzz(hostile(OVERLAY_SAMPLES), (input) => {
      const decoded = decodeOverlayFrame(input);
      if (!decoded.ok) return;
      const frame = decoded.frame;
      if (frame.t === 'nodes') expect(frame.ids.every(isNodeId)).toBe(true);
      if (frame.t === 'route' || frame.t === 'direct') {
        expect(isNodeId(frame.key) && isNodeId(frame.origin)).toBe(true);
        decodeJoinBody(frame.body);
        decodeJoinReply(frame.body);
        decodeSignalBody(frame.body);
      }
    });
  });

  it('data-channel bytes: never a throw, oversized refused before parsing', () => {
    const bytes = fc.oneof(
      hostileText(OVERLAY_SAMPLES),
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => b.buffer as ArrayBuffer),
      fc.anything({ maxDepth: 1 }),
    );
    fuzz(bytes, (input) => void decodeChannelData(input));
  });

  it('IM messages: never a throw', () => {
    fuzz(hostile(IM_SAMPLES), (input) => void decodeImMessage(input));
  });

  it('SCAN messages and the records inside them: never a throw', () => {
    fuzz(hostile(SCAN_SAMPLES), (input) => {
      const message = decodeScanMessage(input);
      if (message?.t === 'scan/store') checkRecord(message.record, 1);
      if (message?.t === 'scan/results') for (const record of message.records.slice(0, 4)) checkRecord(record, 1);
    });
  });

  it('bootstrap frames, both directions: never a throw, every refusal has an error code', () => {
    fuzz(hostileText(BOOTSTRAP_SAMPLES), (text) => {
      const client = decodeClientFrame(text);
      if (!client.ok) expect(typeof client.code).toBe('string');
      decodeServerFrame(text);
    });
  });
});

describe('a live simulated node under 20,000 hostile frames from a linked peer', () => {
  it('throws nothing, and afterwards still routes every lookup to the numerically closest node', async () => {
    // The neighbour budget would drop most of these unread (5,000 a second from one link): lifted here,
    // so every frame reaches the decoders and the forwarder (the budget has its own test).
    const sim = new Simulation({ seed: SEED, config: { keepAliveMs: Infinity, routedPerNeighbourPerSec: Infinity, routedPerNeighbourBurst: Infinity } });
    await sim.build(40);
    await sim.settle(10_000);
    const nodes = [...sim.nodes.values()];
    const victim = nodes[0];
    const attacker = nodes.find((n) => n !== victim && n.links.has(victim.id))!;
    expect(attacker).toBeDefined();
    const frames = fc.sample(hostile(OVERLAY_SAMPLES), { numRuns: 20_000, seed: SEED });
    let sent = 0;
    for (const frame of frames) {
      const link = attacker.links.get(victim.id)?.link;
      if (!link) break; // the victim may rightly cut an abusive peer off
      link.send(frame);
      if (++sent % 500 === 0) await sim.settle(100);
    }
    await sim.settle(30_000);
    expect(sent).toBeGreaterThan(0);
    expect(victim.state).toBe('joined');
    const results = await sim.lookups(2_000, { seedLabel: 'after-fuzz' });
    expect(results.filter((r) => r.deliveredAt === r.expectedRoot).length).toBe(2_000);
  }, 300_000);
});
