// Test helpers: readable ids. `hexId('a3')` pads a short hex prefix to a full 128-bit id.

import { nodeId, type NodeId } from '../id.js';

export function hexId(prefix: string, fill = '0'): NodeId {
  return nodeId(prefix.padEnd(32, fill));
}
