// The page's budget of RTCPeerConnections (issue 12). Chromium refuses to construct a page's 501st
// RTCPeerConnection that is not yet garbage-collected ("Cannot create so many PeerConnections"), a
// closed one keeps counting until a GC that an idle page rarely runs, and after that the tab can never
// open a link again. So we count every construction, watch the garbage collector free them
// (FinalizationRegistry), and refuse to construct at the limit ourselves, with a PeerConnectionLimit
// the node can back off from, instead of letting the browser throw.
//
// Counting happens in the RTCPeerConnection constructor simple-peer is handed (its `wrtc` option), not
// by reading simple-peer's private `_pc`: every construction passes through it, and it sees the
// browser's own refusal synchronously (simple-peer swallows a constructor's exception and re-emits it
// a microtask later as an 'error').

import { PeerConnectionLimit, type PeerConnectionCounts } from '../environment.js';

/** Chromium's limit per page (blink's kMaxPeerConnections). */
export const BROWSER_PEER_CONNECTION_LIMIT = 500;

/** What Chromium throws at its limit; its estimate of "held" may run ahead of ours. */
const BROWSER_REFUSAL = /Cannot create so many PeerConnections/i;

/** The implementation simple-peer constructs from (its `wrtc` option). */
export interface WebRtcImplementation {
  RTCPeerConnection: typeof RTCPeerConnection;
  RTCSessionDescription: typeof RTCSessionDescription;
  RTCIceCandidate: typeof RTCIceCandidate;
}

/** The one part of FinalizationRegistry we use; injectable so a test can fire "freed" itself. */
export type ReleaseRegistryConstructor = new (onFreed: (token: number) => void) => { register(target: object, token: number): void };

export interface PeerConnectionBudgetOptions {
  /** Held connections at which we refuse to construct (Infinity: never, as for a Node peer). */
  limit?: number;
  /**
   * How we learn that the garbage collector freed a connection. Defaults to the global
   * FinalizationRegistry; null (or an environment without one) never learns it, so every
   * construction stays held: pessimistic, but never above what the browser counts.
   */
  releaseRegistry?: ReleaseRegistryConstructor | null;
}

/** How one construction went. */
export type ConstructionOutcome<T> =
  | { kind: 'constructed'; value: T }
  /** The browser itself refused (its count ran ahead of ours); counted as refused. */
  | { kind: 'refused'; value: T; error: PeerConnectionLimit }
  /** No connection came to be for another reason (simple-peer reports it as an 'error'). */
  | { kind: 'failed'; value: T };

/**
 * One budget per page: a session that replaces a failed one builds a new transport, but the old
 * transport's connections still count against the same browser limit, so the app shares one budget.
 */
export class PeerConnectionBudget {
  /** Live: the same object always, updated in place (Transport.connections). */
  readonly counts: PeerConnectionCounts;
  private readonly registry: { register(target: object, token: number): void } | null;
  /** Set by the counted constructor during construct(): what it saw. */
  private sawConstruction = false;
  private sawRefusal: PeerConnectionLimit | null = null;

  constructor(options: PeerConnectionBudgetOptions = {}) {
    this.counts = { constructed: 0, closed: 0, held: 0, refused: 0, limit: options.limit ?? BROWSER_PEER_CONNECTION_LIMIT };
    const Registry: ReleaseRegistryConstructor | null | undefined =
      options.releaseRegistry === undefined ? (globalThis.FinalizationRegistry as ReleaseRegistryConstructor | undefined) : options.releaseRegistry;
    this.registry = Registry ? new Registry(() => this.counts.held--) : null;
  }

  /** Throws PeerConnectionLimit (counted as refused) when one more construction would exceed the limit. */
  reserve(): void {
    if (this.counts.held < this.counts.limit) return;
    this.counts.refused++;
    throw new PeerConnectionLimit(this.counts.held);
  }

  /**
   * `implementation` (or the browser's own) with a counting RTCPeerConnection constructor; hand the
   * result to simple-peer. Undefined when there is no WebRTC at all (simple-peer then says so).
   */
  instrument(implementation: WebRtcImplementation | undefined): WebRtcImplementation | undefined {
    const base = implementation ?? browserImplementation();
    if (!base) return undefined;
    const Native = base.RTCPeerConnection;
    const counted = (config?: RTCConfiguration): RTCPeerConnection => {
      let pc: RTCPeerConnection;
      try {
        pc = new Native(config);
      } catch (error) {
        if (BROWSER_REFUSAL.test(error instanceof Error ? error.message : String(error))) {
          this.counts.refused++;
          this.sawRefusal = new PeerConnectionLimit(this.counts.held);
        }
        throw error;
      }
      this.counts.constructed++;
      this.counts.held++;
      this.sawConstruction = true;
      // Weak: the registry must not be what keeps a closed connection from being freed.
      this.registry?.register(pc, this.counts.constructed);
      return pc;
    };
    // simple-peer calls `new wrtc.RTCPeerConnection(config)`; a function returning an object makes
    // `new` yield that object, the native connection itself.
    const CountedPeerConnection = function (this: unknown, config?: RTCConfiguration) {
      return counted(config);
    } as unknown as typeof RTCPeerConnection;
    return { RTCPeerConnection: CountedPeerConnection, RTCSessionDescription: base.RTCSessionDescription, RTCIceCandidate: base.RTCIceCandidate };
  }

  /** Runs `build`, which constructs at most one connection through an instrumented implementation. */
  construct<T>(build: () => T): ConstructionOutcome<T> {
    this.sawConstruction = false;
    this.sawRefusal = null;
    const value = build();
    const refusal = this.sawRefusal;
    const constructed = this.sawConstruction;
    this.sawConstruction = false;
    this.sawRefusal = null;
    if (constructed) return { kind: 'constructed', value };
    if (refusal) return { kind: 'refused', value, error: refusal };
    return { kind: 'failed', value };
  }

  /** A constructed connection was closed (it stays held until the garbage collector frees it). */
  closed(): void {
    this.counts.closed++;
  }
}

/** The browser's built-in WebRTC, as simple-peer's own get-browser-rtc finds it. */
function browserImplementation(): WebRtcImplementation | undefined {
  const g = globalThis as Partial<WebRtcImplementation>;
  if (!g.RTCPeerConnection || !g.RTCSessionDescription || !g.RTCIceCandidate) return undefined;
  return { RTCPeerConnection: g.RTCPeerConnection, RTCSessionDescription: g.RTCSessionDescription, RTCIceCandidate: g.RTCIceCandidate };
}
