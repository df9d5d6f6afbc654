// Conversation epochs: which life of a buddy relationship a chat or receipt belongs to.
//
// Each side picks a fresh random nonce whenever it enters a relationship (asks, or accepts) and
// sends it in its request / accept notice. A conversation's epoch is the two nonces side by side
// (the lower uid's first, so both ends compute the same value), and every chat and receipt carries
// and signs it. Removing and re-adding a buddy, or a buddy asking again after it lost the old
// conversation, gives a new epoch: frames of the old conversation never match it, so they are
// rejected before they touch the new one's sequence numbers.
//
// Relationships made before epochs existed have neither nonce: they keep LEGACY_EPOCH (and the
// chat header signed as before, so their stored outbox still verifies). Only such a relationship
// can have that epoch: every new one gets real nonces, so a legacy frame never matches a new one.

import { bytesToHex } from '@noble/hashes/utils.js';
import type { Random } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';

/** Random bytes in each side's nonce. */
export const EPOCH_NONCE_BYTES = 8;
/** Hex characters of a conversation epoch: two nonces. */
export const EPOCH_HEX = 4 * EPOCH_NONCE_BYTES;
export const LEGACY_EPOCH = '0'.repeat(EPOCH_HEX);
/** The nonce field of a notice about a relationship we hold no nonce for (a legacy decline / remove). */
export const NO_EPOCH_NONCE = '0'.repeat(2 * EPOCH_NONCE_BYTES);

export function freshEpochNonce(random: Random): string {
  return bytesToHex(random.bytes(EPOCH_NONCE_BYTES));
}

/** Both nonces of one relationship, as a buddy record keeps them. */
export interface EpochNonces {
  /** Ours for this relationship. */
  epoch?: string;
  /** The buddy's, from its request or accept notice. */
  peerEpoch?: string;
}

/** The epoch of the conversation with `peer`: the same value on both ends. */
export function conversationEpoch(localUid: NodeId, peer: NodeId, nonces: EpochNonces): string {
  const { epoch, peerEpoch } = nonces;
  if (epoch === undefined || peerEpoch === undefined) return LEGACY_EPOCH;
  return localUid < peer ? epoch + peerEpoch : peerEpoch + epoch;
}
