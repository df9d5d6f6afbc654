// Passphrase encryption of a backup: scrypt (@noble/hashes) turns the passphrase into an AES-256
// key, WebCrypto's AES-GCM seals the payload. The envelope header (format, version, KDF parameters,
// salt, IV) is the additional data, so a file whose header was edited does not decrypt.
//
// Reading a file checks, in order and each with its own reason: its size, that it is JSON, that it
// is our envelope and a version we know, that it decrypts, and that the payload inside is valid.

import { scryptAsync } from '@noble/hashes/scrypt.js';
import * as v from 'valibot';
import { BACKUP_LIMITS, BackupError, Envelope, IV_BYTES, Payload, SALT_BYTES, SCRYPT_BOUNDS, SCRYPT_EXPORT } from './format.js';

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export interface SealOptions {
  /** Fresh random bytes (crypto.getRandomValues in the app; tests may pin them). */
  randomBytes?: (n: number) => Uint8Array;
  /** Only tests lower it (an import accepts N >= 2^14): the app always exports SCRYPT_EXPORT. */
  scrypt?: ScryptParams;
  /** 0..1 while scrypt runs (it takes seconds on a phone). */
  onProgress?: (fraction: number) => void;
}

export async function sealBackup(payload: Payload, passphrase: string, options: SealOptions = {}): Promise<string> {
  checkPassphrase(passphrase, true);
  const random = options.randomBytes ?? ((n: number) => crypto.getRandomValues(new Uint8Array(n)));
  const params = options.scrypt ?? SCRYPT_EXPORT;
  const salt = random(SALT_BYTES);
  const iv = random(IV_BYTES);
  const header = {
    format: 'dima-identity-backup' as const,
    version: 1 as const,
    kdf: { name: 'scrypt' as const, ...params, salt: toBase64(salt) },
    cipher: { name: 'AES-GCM' as const, iv: toBase64(iv) },
  };
  const key = await deriveKey(passphrase, salt, params, options.onProgress);
  const plaintext = new TextEncoder().encode(JSON.stringify(payload));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: bytes(iv), additionalData: additionalData(header) }, key, bytes(plaintext));
  const text = JSON.stringify({ ...header, ciphertext: toBase64(new Uint8Array(sealed)) });
  if (text.length > BACKUP_LIMITS.maxFileBytes) throw new BackupError('too large');
  return text;
}

/** The payload of a backup file, or a BackupError saying why not. Never anything else. */
export async function openBackup(file: string, passphrase: string, onProgress?: (fraction: number) => void): Promise<Payload> {
  if (file.length > BACKUP_LIMITS.maxFileBytes) throw new BackupError('too large');
  checkPassphrase(passphrase, false);
  let raw: unknown;
  try {
    raw = JSON.parse(file);
  } catch {
    throw new BackupError('not a backup', 'not JSON');
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== 'dima-identity-backup') throw new BackupError('not a backup');
  if ((raw as { version?: unknown }).version !== 1) throw new BackupError('unsupported version');
  const parsed = v.safeParse(Envelope, raw);
  if (!parsed.success) throw new BackupError('not a backup', issuePath(parsed.issues));
  const { ciphertext, ...header } = parsed.output;
  let salt: Uint8Array, iv: Uint8Array, sealed: Uint8Array;
  try {
    [salt, iv, sealed] = [fromBase64(header.kdf.salt), fromBase64(header.cipher.iv), fromBase64(ciphertext)];
  } catch {
    throw new BackupError('not a backup', 'bad base64');
  }
  if (salt.length !== SALT_BYTES || iv.length !== IV_BYTES) throw new BackupError('not a backup', 'salt or IV length');
  const key = await deriveKey(passphrase, salt, header.kdf, onProgress);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes(iv), additionalData: additionalData(header) }, key, bytes(sealed));
  } catch {
    throw new BackupError('wrong passphrase or damaged file');
  }
  let inner: unknown;
  try {
    inner = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw new BackupError('invalid contents', 'not JSON');
  }
  const payload = v.safeParse(Payload, inner);
  if (!payload.success) throw new BackupError('invalid contents', issuePath(payload.issues));
  return payload.output;
}

function checkPassphrase(passphrase: string, exporting: boolean): void {
  if (passphrase.length > BACKUP_LIMITS.maxPassphraseChars) throw new BackupError('passphrase too long');
  // On import a short one is only a wrong one; at export it would protect the identity poorly.
  if (exporting && [...passphrase].length < BACKUP_LIMITS.minPassphraseChars) throw new BackupError('passphrase too short');
}

async function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams, onProgress?: (fraction: number) => void): Promise<CryptoKey> {
  // NFKC: the same passphrase typed on another keyboard (composed or decomposed accents) gives the same key.
  const secret = new TextEncoder().encode(passphrase.normalize('NFKC'));
  // asyncTick: scrypt yields to the event loop every 10 ms, so the page stays responsive meanwhile.
  const raw = await scryptAsync(secret, salt, { N: params.N, r: params.r, p: params.p, dkLen: 32, asyncTick: 10, onProgress, maxmem: SCRYPT_BOUNDS.maxMemoryBytes + 1024 * 1024 });
  return crypto.subtle.importKey('raw', bytes(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** The header as authenticated data: a fixed field order, so both ends produce the same bytes. */
function additionalData(header: Omit<Envelope, 'ciphertext'>): ArrayBuffer {
  const { kdf, cipher } = header;
  return bytes(new TextEncoder().encode(JSON.stringify([header.format, header.version, kdf.name, kdf.N, kdf.r, kdf.p, kdf.salt, cipher.name, cipher.iv])));
}

function issuePath(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return path ? `at ${path}` : issue.message;
}

/** A copy in its own ArrayBuffer: WebCrypto takes BufferSource, not any Uint8Array view. */
function bytes(data: Uint8Array): ArrayBuffer {
  return data.slice().buffer as ArrayBuffer;
}

function toBase64(data: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
