// What the WebRTC transport knows of ICE besides the peer connection itself (issue 16): where its
// STUN/TURN servers come from (fixed, or read at every construction because TURN credentials
// expire), how long an open link may stay `disconnected`, and which candidate pair a link runs
// over, read from the standard stats (relayed or direct).

import type { Clock, TimerHandle } from '../environment.js';

/** Fixed STUN/TURN servers, or a function read at every peer connection (credentials that expire). */
export type IceServerSource = RTCIceServer[] | (() => RTCIceServer[]);

/** What a link runs over, from the selected ICE candidate pair (getStats). */
export interface LinkPath {
  /** 'host' (same LAN or host), 'srflx'/'prflx' (through NATs, punched), 'relay' (through TURN). */
  local: string;
  remote: string;
  /** 'udp' or 'tcp' between us and the first hop (the TURN server for a relayed pair). */
  protocol: string;
  /** The relay's protocol to the TURN server when local is 'relay' (udp, tcp, tls), if reported. */
  relayProtocol?: string;
  /** Current round-trip time of the pair in ms, if reported. */
  rttMs?: number;
}

export function iceServerFunction(source: IceServerSource | undefined): () => RTCIceServer[] {
  if (typeof source === 'function') return source;
  const fixed = source ?? [];
  return () => fixed;
}

/** The fields of RTCStats reports we read; implementations differ in what else they carry. */
export interface StatsReport {
  id: string;
  type: string;
  selected?: boolean;
  nominated?: boolean;
  state?: string;
  selectedCandidatePairId?: string;
  localCandidateId?: string;
  remoteCandidateId?: string;
  candidateType?: string;
  protocol?: string;
  relayProtocol?: string;
  currentRoundTripTime?: number;
}

/** The pair the transport report names as selected, else the (Firefox-style) selected or the nominated succeeded one. */
export function selectedPath(reports: readonly StatsReport[]): LinkPath | null {
  const byId = new Map(reports.map((report) => [report.id, report]));
  const transportReport = reports.find((report) => report.type === 'transport' && report.selectedCandidatePairId);
  const pair =
    (transportReport && byId.get(transportReport.selectedCandidatePairId!)) ??
    reports.find((report) => report.type === 'candidate-pair' && report.selected) ??
    reports.find((report) => report.type === 'candidate-pair' && report.nominated && report.state === 'succeeded');
  if (!pair) return null;
  const local = byId.get(pair.localCandidateId ?? '');
  const remote = byId.get(pair.remoteCandidateId ?? '');
  if (!local?.candidateType || !remote?.candidateType) return null;
  const path: LinkPath = { local: local.candidateType, remote: remote.candidateType, protocol: local.protocol ?? 'unknown' };
  if (local.relayProtocol) path.relayProtocol = local.relayProtocol;
  if (typeof pair.currentRoundTripTime === 'number') path.rttMs = pair.currentRoundTripTime * 1000;
  return path;
}

/** The counters DisconnectGrace keeps (part of WebRtcTransportStats). */
export interface IceStateCounts {
  iceDisconnected: number;
  iceRecovered: number;
  iceDisconnectedClosed: number;
}

/**
 * One open link's ICE state: `disconnected` starts the grace, `connected`/`completed` ends it (a
 * brief loss that recovered), and a grace that runs out calls `onDead`.
 */
export class DisconnectGrace {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly graceMs: number,
    private readonly counts: IceStateCounts,
    private readonly onDead: () => void,
  ) {}

  onState(state: RTCIceConnectionState): void {
    if (state === 'disconnected' && this.timer === null) {
      this.counts.iceDisconnected++;
      this.timer = this.clock.setTimer(this.graceMs, () => {
        this.timer = null;
        this.counts.iceDisconnectedClosed++;
        this.onDead();
      });
    } else if ((state === 'connected' || state === 'completed') && this.timer !== null) {
      this.counts.iceRecovered++;
      this.stop();
    }
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }
}
