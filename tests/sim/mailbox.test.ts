// Mail for the offline on the real simulator (tests/sim/mail-scenario.ts): 100 nodes, 20 pairs
// whose sender leaves before the recipient returns, 20% of the storing nodes crashing meanwhile (and
// as many joining); 40% of the nodes are users, as in the bench. The 1,000-node, several-seed figures
// come from bench/mailbox.bench.ts; this keeps the same shape small (the waits for the returning
// users end once everyone has what they should, stopWhenDone). Profiled at 300 nodes: ~30% ed25519
// (noble, pure JS), ~45% overlay upkeep, ~9% GC: cost is nodes x virtual time, so fewer nodes.

import { describe, expect, it } from 'vitest';
import { DEFAULT_MAILBOX_CONFIG } from '../../src/im/config.js';
import { runMailScenario } from './mail-scenario.js';

const NODES = 100;
const PAIRS = 20;
const MESSAGES = 3;

describe('mail for the offline on the simulator', () => {
  it(`${PAIRS} pairs on ${NODES} nodes, the sender gone before the recipient returns, 20% churn among the holders: shown once, in order; storage bounded; receipts reach the returning sender`, async () => {
    const result = await runMailScenario({ seed: 15, nodes: NODES, pairs: PAIRS, messages: MESSAGES, churn: 0.2, stopWhenDone: true });
    const maxBytes = Math.max(...result.bytesPerNode);
    const maxItems = Math.max(...result.itemsPerNode);
    console.log(
      `mailbox sim: ${result.shownOnce}/${result.sent} shown once in order; ${result.storingNodes} nodes held mail, ` +
        `${result.crashedHolders} crashed; max per node ${maxBytes} bytes / ${maxItems} items; ` +
        `${result.outboxesEmptied}/${PAIRS} sender outboxes emptied; counters ${JSON.stringify(result.counters)}`,
    );
    if (result.wrongPairs.length > 0) console.log('not as sent:', JSON.stringify(result.wrongPairs.slice(0, 5)));
    expect(result.crashedHolders).toBeGreaterThanOrEqual(Math.floor(result.storingNodes * 0.2) - 1);
    expect(result.shownOnce / result.sent).toBeGreaterThanOrEqual(0.999);
    // Every pair either got exactly what was sent or is counted wrong: never a duplicate or a reordering.
    expect(result.wrongPairs.every(({ shown, expected }) => shown.every((text, i) => text === expected[i]))).toBe(true);
    expect(maxBytes).toBeLessThanOrEqual(DEFAULT_MAILBOX_CONFIG.nodeBytes);
    expect(maxItems).toBeLessThanOrEqual(DEFAULT_MAILBOX_CONFIG.nodeItems);
    // The mailbox path did the work: the senders were gone, so nothing could come from their outboxes.
    expect(result.counters['mail handed over']).toBeGreaterThan(0);
    expect(result.counters['mail deleted by ack']).toBeGreaterThan(0);
    expect(result.outboxesEmptied / PAIRS).toBeGreaterThanOrEqual(0.999);
  }, 300_000);
});
