// Direct links for active chats (docs/DESIGN.md: "Active chats may open a direct data channel"). While we
// chat with a buddy (a message sent or shown within directIdleMs) and the buddy is online, we ask the
// overlay for a link to the node whose id is the buddy's uid and keep it open; chat messages and
// receipts then go over it in one hop instead of being routed.
//
// The transport proves that the far end of a link holds the key behind its id, so a link to the
// buddy's uid reaches exactly the node a routed message's root check (key === own id) accepts; the
// envelopes are still signed and checked as ever. Whenever there is no open link (still dialling,
// closed, the buddy reloaded) send() answers false and the caller routes as before; what a dying link
// swallowed has no receipt, so the outbox sends it again.

import type { OverlayEndpoint } from '../overlay/api.js';
import type { Clock } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import type { ImConfig } from './config.js';
import type { DirectCloseReason, ImStats } from './stats.js';

export type DirectLinkHost = Pick<OverlayEndpoint, 'openDirect' | 'closeDirect' | 'sendDirect'>;

interface DirectLink {
  open: boolean;
  lastActive: number;
}

export class DirectLinks {
  private readonly links = new Map<NodeId, DirectLink>();
  /** Buddies whose link could not be opened, until when we do not try again. */
  private readonly retryAt = new Map<NodeId, number>();
  private enabled = true;

  constructor(
    private readonly endpoint: DirectLinkHost,
    private readonly clock: Clock,
    private readonly config: Pick<ImConfig, 'directIdleMs' | 'directRetryMs'>,
    /** An accepted buddy that is online (and we are running). */
    private readonly eligible: (peer: NodeId) => boolean,
    private readonly stats: ImStats,
  ) {}

  /** A chat message to or from `peer`: keeps its link, or starts opening one. */
  active(peer: NodeId): void {
    const now = this.clock.now();
    const existing = this.links.get(peer);
    if (existing) {
      existing.lastActive = now;
      return;
    }
    if (!this.enabled || this.config.directIdleMs <= 0 || !this.eligible(peer)) return;
    if ((this.retryAt.get(peer) ?? -Infinity) > now) return;
    const link: DirectLink = { open: false, lastActive: now };
    this.links.set(peer, link);
    this.endpoint.openDirect(peer).then(
      (up) => this.opened(peer, link, up),
      () => this.opened(peer, link, false),
    );
  }

  /** Sends over the open link to `peer`; false when there is none (the caller routes instead). */
  send(peer: NodeId, body: unknown): boolean {
    if (!this.links.get(peer)?.open) return false;
    if (this.endpoint.sendDirect(peer, body)) return true;
    // The channel closed under us (tab closed or reloaded, network change): route from now on, and
    // dial again with the next message.
    this.close(peer, 'lost');
    return false;
  }

  isOpen(peer: NodeId): boolean {
    return this.links.get(peer)?.open ?? false;
  }

  /** Buddies we hold an open direct link to. */
  openPeers(): NodeId[] {
    return [...this.links].filter(([, link]) => link.open).map(([peer]) => peer);
  }

  /** Closes links whose chat went quiet for directIdleMs, or whose buddy is no longer eligible. */
  tick(): void {
    const now = this.clock.now();
    for (const [peer, link] of [...this.links]) {
      if (!this.eligible(peer)) this.close(peer, 'not eligible');
      else if (now - link.lastActive >= this.config.directIdleMs) this.close(peer, 'idle');
    }
  }

  /** We no longer need the link: the overlay closes it once idle, unless its own tables need it. */
  close(peer: NodeId, reason: DirectCloseReason): void {
    if (!this.links.delete(peer)) return;
    this.endpoint.closeDirect(peer);
    this.stats.count(`direct link closed: ${reason}`);
  }

  closeAll(reason: DirectCloseReason): void {
    for (const peer of [...this.links.keys()]) this.close(peer, reason);
  }

  /** Off: every chat is routed (and open links are let go). A user may prefer not to reveal its address to buddies. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) this.closeAll('disabled');
  }

  private opened(peer: NodeId, link: DirectLink, up: boolean): void {
    if (this.links.get(peer) !== link) return; // closed while dialling (closeDirect already done)
    if (up) {
      link.open = true;
      this.retryAt.delete(peer);
      this.stats.count('direct link opened');
      return;
    }
    this.links.delete(peer);
    this.endpoint.closeDirect(peer);
    this.retryAt.set(peer, this.clock.now() + this.config.directRetryMs);
    this.stats.count('direct link failed');
  }
}
