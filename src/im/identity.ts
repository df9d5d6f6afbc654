// The user's identity across reloads: the Ed25519 key pair behind the uid lives in ImStorage, so
// the same browser profile comes back as the same uid (and the same Pastry nodeId).

import type { Random } from '../overlay/environment.js';
import { generateIdentity, loadIdentity, storeIdentity, type Identity } from '../overlay/identity.js';
import type { ImStorage } from './storage.js';

/**
 * The stored identity, or a new one stored before it is returned. `random` only in tests and the
 * simulator; real nodes leave it out and get crypto.getRandomValues.
 */
export async function loadOrCreateIdentity(storage: ImStorage, random?: Random): Promise<Identity> {
  const stored = await storage.getIdentity();
  if (stored) return loadIdentity(stored);
  const identity = generateIdentity(random);
  try {
    await storage.putIdentity(storeIdentity(identity));
  } catch {
    // Another tab stored its key first (putIdentity never replaces one): that one is ours too.
  }
  const winner = await storage.getIdentity();
  return winner ? loadIdentity(winner) : identity;
}
