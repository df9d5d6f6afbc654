// The serverless invite (issue 13, the paper's ad-hoc meeting with no infrastructure): two people
// carry one offer and one answer between their devices by hand (QR code or text), and the newcomer
// joins the overlay through the inviter. No server takes part, not even to serve the app (the
// service worker does).
//
//   inviter                                        newcomer
//   createInvite(): founds a ring if alone,
//     dials with a Signaller that waits      ---- invite (offer, expiry) ---->  joinWithInvite():
//     for a person to paste the reply                                            answers the offer
//   acceptInviteReply(): the answer         <---- reply (answer, invite tag) --  (answerLinked)
//     goes to the waiting dial; link opens  ==== data channel ================  joins through it
//
// The overlay never learns where the link came from: the inviter's node gets it through onLink like
// a volunteer's answered link, the newcomer's node starts with it as its Introduction. Non-trickle
// ICE gives one offer and one answer; both wait up to the invite's validity, since people are slow.
//
// A newcomer already in a network (even alone in one of its own) leaves it and joins afresh through
// the invite; merging two rings is the overlay's job (ring-merge), not this flow's.

import type { Link, SignalBlob } from '../../overlay/environment.js';
import type { InviteAnswered, InviteCreated, InviteOutcome } from '../../ui/messenger-port.js';
import type { Session } from '../session.js';
import { decodeInvite, decodeReply, describeInviteError, encodeInvite, encodeReply } from './codec.js';
import { INVITE_LIMITS } from './config.js';
import { essentialsOf, sdpFrom } from './sdp-essentials.js';

/** What the flow needs of the app: the session, a way to replace it, and the wall clock (codes carry epoch times). */
export interface InviteComponents {
  session(): Session;
  /** Leaves the current session and attaches a fresh one (same identity and storage) in its place. */
  replaceSession(): Promise<Session>;
  now(): number;
}

interface PendingInvite {
  readonly expiresAt: number;
  readonly answer: (blob: SignalBlob) => void;
  readonly cancel: (reason: Error) => void;
  readonly link: Promise<Link>;
}

/** Slack past the expiry for ICE and DTLS after an answer pasted at the last second. */
export const CONNECT_SLACK_MS = 20_000;

export class InviteFlow {
  private readonly pending = new Map<string, PendingInvite>();

  constructor(private readonly components: InviteComponents) {}

  // ---- inviter ----------------------------------------------------------------------------------

  async createInvite(): Promise<InviteCreated> {
    // Each waiting invite holds a peer connection: past the bound the oldest lapses (a dialog closed
    // and opened again makes a new invite; a reply to a lapsed one is told so).
    for (const [tag, invite] of this.pending) {
      if (this.pending.size < INVITE_LIMITS.maxPending) break;
      invite.cancel(new Error('too many invites'));
      this.pending.delete(tag);
    }
    let session = this.components.session();
    // A node that failed to join cannot start again: a fresh session takes its place.
    if (session.node.state === 'left') session = await this.components.replaceSession();
    // Not in a network (no server, or "Offline"): found one of our own, so that we can be joined.
    const outcome = await session.joinThrough(null);
    if (outcome !== 'joined') return { ok: false, message: 'This tab could not start a network to invite into. Reload the page and try again.' };
    const expiresAt = this.components.now() + INVITE_LIMITS.validityMs;
    let offered!: (offer: SignalBlob) => void;
    const offer = new Promise<SignalBlob>((resolve) => (offered = resolve));
    let answer!: (blob: SignalBlob) => void;
    let cancel!: (reason: Error) => void;
    const answered = new Promise<SignalBlob>((resolve, reject) => ((answer = resolve), (cancel = reject)));
    const link = session.transport.dial(
      null,
      (blob) => {
        offered(blob);
        return answered;
      },
      { connectTimeoutMs: INVITE_LIMITS.validityMs + CONNECT_SLACK_MS },
    );
    link.catch(() => {}); // a lapsed invite is no error of anyone's
    const first = await Promise.race([offer, link.then(() => undefined, () => undefined)]);
    if (!first) return { ok: false, message: 'This tab could not prepare a connection (too many open connections?). Try again.' };
    const essentials = essentialsOf(first.data);
    if (!essentials.ok) {
      cancel(new Error(essentials.reason));
      return { ok: false, message: 'This device found no network address to offer (no network interface is up).' };
    }
    const { code, tag } = encodeInvite(essentials.essentials, expiresAt);
    this.pending.set(tag, { expiresAt, answer, cancel, link });
    void link.then(
      () => this.pending.delete(tag),
      () => this.pending.delete(tag),
    );
    return { ok: true, code, expiresAt: Math.floor(expiresAt / 1000) * 1000 };
  }

  /** The newcomer's reply: hands its answer to the dial waiting for it; settles once the link is up. */
  async acceptInviteReply(text: string): Promise<InviteOutcome> {
    const decoded = decodeReply(text);
    if (!decoded.ok) return { ok: false, message: describeInviteError(decoded.error, 'reply') };
    const invite = this.pending.get(decoded.value.answers);
    if (!invite) {
      return { ok: false, message: 'That reply answers an invite this tab is not waiting on (it expired, was used already, or came from another tab). Make a new invite.' };
    }
    if (invite.expiresAt <= this.components.now()) {
      invite.cancel(new Error('invite expired'));
      return { ok: false, message: describeInviteError('expired', 'invite') };
    }
    invite.answer({ kind: 'answer', data: sdpFrom(decoded.value.answer) });
    try {
      await invite.link;
      return { ok: true };
    } catch {
      return { ok: false, message: 'The connection to the newcomer did not open: the two devices cannot reach each other directly (different networks?).' };
    }
  }

  // ---- newcomer ---------------------------------------------------------------------------------

  async joinWithInvite(text: string): Promise<InviteAnswered> {
    const now = this.components.now();
    const decoded = decodeInvite(text, now);
    if (!decoded.ok) return { ok: false, message: describeInviteError(decoded.error, 'invite') };
    let session = this.components.session();
    // A node joins once: one that is (or was, or is getting) in a network makes way for a fresh one.
    if (session.node.state !== 'idle') session = await this.components.replaceSession();
    const offer: SignalBlob = { kind: 'offer', data: sdpFrom(decoded.value.offer) };
    let answered: { answer: SignalBlob; link: Promise<Link> };
    try {
      answered = await session.transport.answerLinked(null, offer, { connectTimeoutMs: decoded.value.expiresAt - now + CONNECT_SLACK_MS });
    } catch {
      return { ok: false, message: 'This device could not answer the invite (too many open connections?). Reload and try again.' };
    }
    const essentials = essentialsOf(answered.answer.data);
    if (!essentials.ok) return { ok: false, message: 'This device found no network address to answer with (no network interface is up).' };
    const reply = encodeReply(essentials.essentials, decoded.value.tag);
    const connected = answered.link.then(
      async (link): Promise<InviteOutcome> => {
        const outcome = await session.joinThrough({ answered: Promise.resolve(link) });
        return outcome === 'joined' ? { ok: true } : { ok: false, message: 'Connected to the inviter, but joining the network through it failed. Ask for a new invite.' };
      },
      (): InviteOutcome => ({ ok: false, message: 'No connection came: the reply was not pasted in time, or the two devices cannot reach each other.' }),
    );
    return { ok: true, reply, expiresAt: decoded.value.expiresAt, connected };
  }

  /** Drops every waiting invite (the session they were made on is going away). */
  cancelAll(): void {
    for (const invite of this.pending.values()) invite.cancel(new Error('cancelled'));
    this.pending.clear();
  }
}
