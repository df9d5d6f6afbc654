// The attacker of the IM tests: a node of the overlay that replays what it saw routed, forges, and
// records what it is answered (integrity.test.ts, resync.test.ts).

import type { NodeId } from '../../overlay/id.js';
import type { ImMessage } from '../wire.js';
import type { Person, world } from './world.js';

type World = ReturnType<typeof world>;

export const MALLORY = 'ee'.repeat(16) as NodeId;

/** A node of the overlay run by the attacker: it replays, forges, and records what it is answered. */
export function mallory(w: World, deliver: (body: ImMessage, reply?: (body: unknown) => void) => void = () => undefined) {
  const host = w.overlay.join(MALLORY);
  const replies: ImMessage[] = [];
  const endpoint = host.register('dima.im', { deliver: (m) => deliver(m.body as ImMessage, m.reply) });
  return {
    replies,
    /** Sends `body` to key `to` as a request, keeping any answer. */
    ask(to: NodeId, body: unknown) {
      endpoint.request(to, body, { timeoutMs: 1_000 }).then((r) => replies.push(r.body as ImMessage), () => undefined);
    },
  };
}

/** Everything routed so far (as any node on the way saw it) of type `t` from `from` to `to`. */
export function captured<T extends ImMessage>(w: World, t: T['t'], from: Person, to: Person): T[] {
  return (w.overlay.seen as ImMessage[]).filter((m): m is T => m.t === t && 'from' in m && m.from === from.identity.id && m.to === to.identity.id);
}
