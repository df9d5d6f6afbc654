// The BackupPort of the browser product: the stores of this tab's profile (?profile=NAME). Loaded
// on demand (scrypt, the schemas): neither onboarding nor a running chat pays for it until used.

import { clearIndexedDbStorage, indexedDbStorage } from '../../im/idb-storage.js';
import type { BackupFile, BackupPort } from '../../ui/backup-port.js';
import { indexedDbProfileStore } from '../profile-store.js';
import { BACKUP_LIMITS, BackupError } from './format.js';
import { openBackup, sealBackup } from './sealing.js';
import { restoreSnapshot, takeSnapshot } from './snapshot.js';

export function browserBackup(profileName: string): BackupPort {
  const storage = indexedDbStorage(profileName);
  const profileStore = indexedDbProfileStore(profileName);
  return {
    async exportBackup(passphrase, onProgress): Promise<BackupFile> {
      const app = { profile: await profileStore.load(), preferences: await profileStore.loadPreferences() };
      const payload = await takeSnapshot(storage, app, Date.now());
      const text = await sealBackup(payload, passphrase, { onProgress });
      const day = new Date(payload.createdAt).toISOString().slice(0, 10);
      return { blob: new Blob([text], { type: 'application/json' }), name: `dima-identity-${payload.uid.slice(0, 8)}-${day}.json` };
    },
    async restoreBackup(file, passphrase, onProgress): Promise<void> {
      // Checked before reading: a 2 GiB "backup" is never pulled into a string.
      if (file.size > BACKUP_LIMITS.maxFileBytes) throw new BackupError('too large');
      const payload = await openBackup(await file.text(), passphrase, onProgress);
      await restoreSnapshot(payload, { storage, wipe: () => clearIndexedDbStorage(profileName), profileStore });
      // The node this tab may have started meanwhile runs the key it made for itself: start afresh
      // as the restored identity (pagehide tells that node's neighbours it left).
      location.reload();
    },
  };
}
