// A tiny overlay application that answers with the id of the node that delivered it, and records
// the path on the way (every forwarding node appends itself in forward()). The e2e tests route to a
// tab's id and check that tab answered; the overlay picture draws the paths.

import type { OverlayApplication, OverlayEndpoint, RoutedMessage } from '../overlay/api.js';
import { isNodeId, type NodeId } from '../overlay/id.js';

const PROBE_APPLICATION = 'dima.probe';
/** A path longer than the overlay's hop limit is not one a probe could have taken. */
const MAX_PATH = 64;

export interface ProbeResult {
  /** The node that delivered the probe: the root of the key, as far as the overlay is concerned. */
  root: NodeId;
  /** Node ids hop by hop, origin first, root last. */
  path: NodeId[];
  hops: number;
}

interface ProbeBody {
  t: 'probe';
  path: NodeId[];
}

function decodeBody(body: unknown): ProbeBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { t, path } = body as Partial<ProbeBody>;
  if (t !== 'probe' || !Array.isArray(path) || path.length > MAX_PATH || !path.every(isNodeId)) return undefined;
  return { t, path };
}

function decodeAnswer(body: unknown): { root: NodeId; path: NodeId[] } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { root, path } = body as { root?: unknown; path?: unknown };
  if (!isNodeId(root) || !Array.isArray(path) || path.length > MAX_PATH + 1 || !path.every(isNodeId)) return undefined;
  return { root, path };
}

export class Probe {
  private readonly endpoint: OverlayEndpoint;

  constructor(register: (name: string, app: OverlayApplication) => OverlayEndpoint) {
    const application: OverlayApplication = {
      forward: (msg) => {
        const body = decodeBody(msg.body);
        return body ? { body: { ...body, path: [...body.path, this.endpoint.localId] } } : false;
      },
      deliver: (msg: RoutedMessage) => {
        const body = decodeBody(msg.body);
        if (body) msg.reply?.({ root: this.endpoint.localId, path: [...body.path, this.endpoint.localId] });
      },
    };
    this.endpoint = register(PROBE_APPLICATION, application);
  }

  /** Routes to the root of `key` and resolves with who answered and how. */
  async route(key: NodeId, timeoutMs = 10_000): Promise<ProbeResult> {
    const reply = await this.endpoint.request(key, { t: 'probe', path: [] } satisfies ProbeBody, { timeoutMs });
    const answer = decodeAnswer(reply.body);
    if (!answer || answer.root !== reply.from) throw new Error('malformed probe answer');
    // A probe delivered locally never passed forward(): its path is just this node.
    const path = answer.path.length > 0 ? answer.path : [answer.root];
    return { root: answer.root, path, hops: path.length - 1 };
  }
}
