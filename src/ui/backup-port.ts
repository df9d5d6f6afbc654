// What the UI may ask of the identity backup (src/app/backup). Separate from MessengerPort: the
// backup works on the stores, and onboarding needs it before any messenger exists.

export interface BackupFile {
  readonly blob: Blob;
  /** Suggested file name for the download. */
  readonly name: string;
}

export interface BackupPort {
  /**
   * This identity, its profile, buddies and recent history as a file sealed with `passphrase`.
   * Rejects with an Error whose message can be shown as it is (too short a passphrase, say).
   */
  exportBackup(passphrase: string, onProgress: (fraction: number) => void): Promise<BackupFile>;
  /**
   * Makes this browser the identity in `file`, then reloads the page into it. Rejects with a
   * message to show (wrong passphrase, damaged file, another identity already here) and changes
   * nothing then.
   */
  restoreBackup(file: File, passphrase: string, onProgress: (fraction: number) => void): Promise<void>;
}

/** Bubbles from onboarding when the user starts on the profile form: the network may start now. */
export const START_EVENT = 'dima-start';
