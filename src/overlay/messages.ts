// Overlay wire messages: one typed definition each and one hand-written decoder at the edge.
// Frames arrive from untrusted peers; decodeFrame() returns a typed message or a reason, never throws.
// (Hand-written rather than a schema library: the simulator decodes tens of millions of frames.)

import { isNodeId, type NodeId } from './id.js';

/** Internal applications carried by routed messages (user applications pick other names). */
export const JOIN_APP = '_join';
export const SIGNAL_APP = '_signal';
export const MERGE_APP = '_merge';

export const MAX_IDS_PER_FRAME = 1024;
const MAX_APP_NAME = 32;
const MAX_MESSAGE_ID = 32;

/** A message routed toward `key`; `want` asks for replies along the reverse path. */
export interface RouteFrame {
  t: 'route';
  id: string;
  key: NodeId;
  origin: NodeId;
  hops: number;
  app: string;
  body: unknown;
  want: boolean;
}
/** A message handed straight to a linked node (sendDirect, or relay of a request keeping its reverse path). */
export type DirectFrame = Omit<RouteFrame, 't'> & { t: 'direct' };
/** A reply travelling hop by hop back along a request's reverse path. */
export interface ReplyFrame {
  t: 'reply';
  id: string;
  from: NodeId;
  hops: number;
  body: unknown;
}
export interface PingFrame {
  t: 'ping';
  stamp: number;
}
export interface PongFrame {
  t: 'pong';
  stamp: number;
}
/** Whether the sender still needs this link (a link closes only when neither side needs it). */
export interface NeedFrame {
  t: 'need';
  need: boolean;
}
/** Asks a linked node for part of its state: its leaf set, or one routing-table row. */
export interface AskFrame {
  t: 'ask';
  what: 'leafset' | 'row';
  row: number;
}
/** Node ids offered as candidates: an answer to ask, or leaf-set gossip. */
export interface NodesFrame {
  t: 'nodes';
  what: 'leafset' | 'row';
  ids: NodeId[];
}
/** Our leaf set pushed to a peer: periodic gossip, the push to new leaves, or a hint (leaf-hints.ts). */
export function leafSetFrame(members: NodeId[]): NodesFrame {
  return { t: 'nodes', what: 'leafset', ids: members };
}
/**
 * The sender has joined: from now on it may be placed in leaf sets and routing tables. Sent over
 * every link when a node finishes joining, and on every new link after that (the paper's "X informs
 * the nodes in its state of its arrival"). A node that is still joining is not routable through.
 */
export interface AnnounceFrame {
  t: 'announce';
}
/** The sender has too many links and will close this one (see OverlayConfig.maxLinks). */
export interface BusyFrame {
  t: 'busy';
}
/** The next hop got routed message `id` (per-hop acks: see hop-acks.ts). */
export interface AckFrame {
  t: 'ack';
  id: string;
}
/** Graceful leave: the sender is going away now. */
export interface LeavingFrame {
  t: 'leaving';
}

export type OverlayFrame =
  | RouteFrame
  | DirectFrame
  | ReplyFrame
  | PingFrame
  | PongFrame
  | NeedFrame
  | AskFrame
  | NodesFrame
  | AnnounceFrame
  | BusyFrame
  | LeavingFrame
  | AckFrame;

/** Why decodeFrame refused a frame: a fixed set, so counters keyed by it stay bounded. */
export type FrameRejection =
  | 'not an object'
  | 'unknown frame type'
  | 'bad message id'
  | 'bad key or origin'
  | 'bad hops'
  | 'bad app'
  | 'bad want'
  | 'bad reply'
  | 'bad stamp'
  | 'bad need'
  | 'bad ask'
  | 'bad nodes'
  | 'bad ack';

export type Decoded = { ok: true; frame: OverlayFrame } | { ok: false; reason: FrameRejection };

const fail = (reason: FrameRejection): Decoded => ({ ok: false, reason });

function isShortString(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1_000_000;
}

function decodeIds(v: unknown): NodeId[] | undefined {
  if (!Array.isArray(v) || v.length > MAX_IDS_PER_FRAME) return undefined;
  for (const id of v) if (!isNodeId(id)) return undefined;
  return v as NodeId[];
}

export function decodeFrame(raw: unknown): Decoded {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not an object');
  const f = raw as Record<string, unknown>;
  switch (f.t) {
    case 'route':
    case 'direct':
      if (!isShortString(f.id, MAX_MESSAGE_ID)) return fail('bad message id');
      if (!isNodeId(f.key) || !isNodeId(f.origin)) return fail('bad key or origin');
      if (!isCount(f.hops)) return fail('bad hops');
      if (!isShortString(f.app, MAX_APP_NAME)) return fail('bad app');
      if (typeof f.want !== 'boolean') return fail('bad want');
      return { ok: true, frame: { t: f.t, id: f.id, key: f.key, origin: f.origin, hops: f.hops, app: f.app, body: f.body, want: f.want } };
    case 'reply':
      if (!isShortString(f.id, MAX_MESSAGE_ID) || !isNodeId(f.from) || !isCount(f.hops)) return fail('bad reply');
      return { ok: true, frame: { t: 'reply', id: f.id, from: f.from, hops: f.hops, body: f.body } };
    case 'ping':
    case 'pong':
      if (typeof f.stamp !== 'number' || !Number.isFinite(f.stamp)) return fail('bad stamp');
      return { ok: true, frame: { t: f.t, stamp: f.stamp } };
    case 'need':
      if (typeof f.need !== 'boolean') return fail('bad need');
      return { ok: true, frame: { t: 'need', need: f.need } };
    case 'ask':
      if ((f.what !== 'leafset' && f.what !== 'row') || !isCount(f.row) || f.row >= 128) return fail('bad ask');
      return { ok: true, frame: { t: 'ask', what: f.what, row: f.row } };
    case 'nodes': {
      const ids = decodeIds(f.ids);
      if ((f.what !== 'leafset' && f.what !== 'row') || !ids) return fail('bad nodes');
      return { ok: true, frame: { t: 'nodes', what: f.what, ids } };
    }
    case 'ack':
      if (!isShortString(f.id, MAX_MESSAGE_ID)) return fail('bad ack');
      return { ok: true, frame: { t: 'ack', id: f.id } };
    case 'announce':
    case 'busy':
    case 'leaving':
      return { ok: true, frame: { t: f.t } };
    default:
      return fail('unknown frame type');
  }
}

/** Body of a JOIN request (routed toward the joiner's id): candidates collected hop by hop. */
export interface JoinBody {
  joiner: NodeId;
  candidates: NodeId[];
  /** A periodic neighbourhood refresh by a joined node: only the root's leaf set is wanted. */
  refresh?: boolean;
}
/** The root's answer to a JOIN: its leaf set plus everything collected on the path. */
export interface JoinReplyBody {
  root: NodeId;
  leafSet: NodeId[];
  candidates: NodeId[];
}
/**
 * A signalling message routed toward the node we want a link with. 'ask' comes first where the
 * target may turn us away: "may I link?", answered with a grant or a refusal, so that a dial that
 * would be refused constructs no peer connection (data is empty).
 */
export interface SignalBody {
  target: NodeId;
  kind: 'offer' | 'answer' | 'ask';
  data: string;
}
/** The target's yes to an 'ask'. */
export interface SignalGrant {
  granted: true;
}
/** What the root answers when the node asked for is not there. */
export interface SignalRefusal {
  refused: 'no-such-node' | 'busy';
}

export function decodeJoinBody(body: unknown): JoinBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const candidates = decodeIds(b.candidates);
  if (b.refresh !== undefined && typeof b.refresh !== 'boolean') return undefined;
  return isNodeId(b.joiner) && candidates ? { joiner: b.joiner, candidates, refresh: b.refresh === true } : undefined;
}

export function decodeJoinReply(body: unknown): JoinReplyBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const leafSet = decodeIds(b.leafSet);
  const candidates = decodeIds(b.candidates);
  return isNodeId(b.root) && leafSet && candidates ? { root: b.root, leafSet, candidates } : undefined;
}

export function decodeSignalBody(body: unknown): SignalBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (!isNodeId(b.target) || (b.kind !== 'offer' && b.kind !== 'answer' && b.kind !== 'ask')) return undefined;
  if (typeof b.data !== 'string' || b.data.length > 32_000) return undefined;
  return { target: b.target, kind: b.kind, data: b.data };
}

/**
 * A ring-merge hint, sent straight to a linked peer by a node whose neighbourhood just merged with
 * another ring (see ring-merge.ts): "check your neighbourhood through `contact`", a node of the
 * other ring the sender is linked to. `far`: how many more far hops the hint may take.
 */
export interface MergeHintBody {
  contact: NodeId;
  far: number;
}

/** The most far hops a merge hint may ask for (a peer asking for more is dropped). */
export const MAX_MERGE_FAR_HOPS = 8;

export function decodeMergeHint(body: unknown): MergeHintBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (!isNodeId(b.contact) || !Number.isInteger(b.far)) return undefined;
  const far = b.far as number;
  return far >= 0 && far <= MAX_MERGE_FAR_HOPS ? { contact: b.contact, far } : undefined;
}
