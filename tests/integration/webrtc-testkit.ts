// Node-only helpers for WebRTC tests (transport unit tests, tests/integration, the bootstrap tests).
// Lives under tests/, not src/: it is no product code, and it pulls in @roamhq/wrtc.

import wrtc from '@roamhq/wrtc';
import SimplePeer from 'simple-peer';
import type { Link, SignalBlob, Signaller, Transport, TransportEvents } from '../../src/overlay/environment.js';
import type { NodeId } from '../../src/overlay/id.js';
import { generateIdentity, type Identity } from '../../src/overlay/identity.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { channelBinding, LinkHandshake, NONCE_BYTES, type HandshakeStep } from '../../src/overlay/transports/link-auth.js';
import { WebRtcTransport, type WebRtcTransportOptions, type WrtcImplementation } from '../../src/overlay/transports/webrtc-transport.js';

export const nodeWrtc = wrtc as unknown as WrtcImplementation;

/** What a test observes of a transport: every event, in order. */
class EventLog implements TransportEvents {
  readonly links: Link[] = [];
  readonly frames: { from: NodeId; frame: unknown }[] = [];
  readonly closed: Link[] = [];
  private waiters: (() => void)[] = [];

  onLink(link: Link): void {
    this.links.push(link);
    this.wake();
  }
  onFrame(link: Link, frame: unknown): void {
    this.frames.push({ from: link.peer, frame });
    this.wake();
  }
  onClose(link: Link): void {
    this.closed.push(link);
    this.wake();
  }

  /** Resolves once `condition` holds (checked after every event), rejects after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for transport events')), timeoutMs);
      const check = () => {
        if (!condition()) return this.waiters.push(check);
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export interface TestNode {
  identity: Identity;
  transport: WebRtcTransport;
  events: EventLog;
}

const started: { stop(): void }[] = [];

export function startTestNode(options: Partial<WebRtcTransportOptions> = {}): TestNode {
  const identity = options.identity ?? generateIdentity();
  const transport = new WebRtcTransport({ wrtc: nodeWrtc, ...options, identity });
  const events = new EventLog();
  transport.start(events);
  started.push(transport);
  return { identity, transport, events };
}

/** An in-process Signaller: hands the offer straight to `answerer`, as the overlay or bootstrap would. */
export function directSignaller(answerer: Transport, from: NodeId | null = null): Signaller {
  return (offer) => answerer.answer(from, offer);
}

/**
 * A hand-driven peer that speaks the link handshake itself and then lets a test put raw bytes on the
 * channel, or misbehave during the handshake (`tamperProof`).
 */
export class RawPeer {
  readonly peer: SimplePeer.Instance;
  readonly received: unknown[] = [];
  readonly authenticated: Promise<NodeId>;
  private handshake: LinkHandshake | null = null;

  constructor(
    readonly identity: Identity,
    private readonly options: { tamperProof?: boolean } = {},
  ) {
    this.peer = new SimplePeer({ initiator: false, trickle: false, objectMode: true, wrtc: nodeWrtc });
    started.push({ stop: () => this.peer.destroy() });
    this.authenticated = new Promise((resolve, reject) => {
      this.peer.on('error', reject);
      this.peer.on('data', (data: string) => {
        if (!this.handshake) return;
        if (this.received.length >= 2) return void this.received.push(data);
        this.received.push(data);
        const step = this.handshake.receive(JSON.parse(data));
        if (step.kind === 'authenticated') resolve(step.peer);
        else if (step.kind === 'failed') reject(new Error(step.reason));
        else this.sendSteps(step);
      });
    });
    this.authenticated.catch(() => {});
  }

  /** Answers a transport's offer; the channel then opens and the handshake runs. */
  answer(offer: SignalBlob): Promise<SignalBlob> {
    return new Promise((resolve) => {
      this.peer.on('signal', (data: SimplePeer.SignalData) => {
        if (data.type !== 'answer') return;
        const binding = channelBinding(offer.data, data.sdp!);
        this.handshake = new LinkHandshake(this.identity, null, binding, randomBytes(NONCE_BYTES));
        resolve({ kind: 'answer', data: data.sdp! });
      });
      this.peer.on('connect', () => this.sendSteps(this.handshake!.start()));
      this.peer.signal({ type: 'offer', sdp: offer.data });
    });
  }

  sendRaw(data: string | Uint8Array): void {
    this.peer.send(data);
  }

  private sendSteps(step: HandshakeStep): void {
    if (step.kind !== 'send') return;
    for (const message of step.messages) {
      if (message.auth === 'proof' && this.options.tamperProof) {
        const sig = (message.sig[0] === '0' ? '1' : '0') + message.sig.slice(1);
        this.peer.send(JSON.stringify({ ...message, sig }));
      } else {
        this.peer.send(JSON.stringify(message));
      }
    }
  }
}

/** Stops every transport and raw peer the kit started (call in afterEach so wrtc lets the process exit). */
export function stopAllTestNodes(): void {
  for (const node of started.splice(0)) node.stop();
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
