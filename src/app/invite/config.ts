// Bounds and timings of serverless invites, named in one place. Every code is pasted or scanned from
// outside: it is bounded before decoding and again after decompression.

export const INVITE_LIMITS = {
  /** How long an invite can be answered; the inviter's dial and the newcomer's answer wait as long. */
  validityMs: 10 * 60_000,
  /** Longest text taken as a code (a real one is ~200 characters), checked before anything is decoded. */
  maxCodeChars: 1_024,
  /** Largest payload after decompression: a zip bomb stops here (a real one is ~100 bytes). */
  maxPayloadBytes: 512,
  /** Candidates carried per side (each is a way to reach the device; more only lengthens the code). */
  maxCandidates: 6,
  maxFingerprints: 3,
  /** Invites one tab keeps waiting at once (each holds a peer connection until answered or expired); a new one retires the oldest. */
  maxPending: 4,
} as const;
