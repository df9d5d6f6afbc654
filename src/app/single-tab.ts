// One tab per identity (docs/DESIGN.md): two tabs with the same key would be two nodes with one nodeId.
// A Web Lock named after the local profile is held for the life of the tab. A second tab finds it
// taken and may steal it ("take over"); the first tab then learns it lost the lock and stops.

export interface TabLock {
  /** Resolves when another tab took the lock over (steal); never resolves otherwise. */
  readonly lost: Promise<void>;
}

const lockName = (profile: string) => `dima-${profile}`;

/** The lock if no other tab holds it, else null. */
export function tryLock(profile: string): Promise<TabLock | null> {
  return request(profile, { ifAvailable: true });
}

/** Takes the lock from whichever tab holds it. */
export async function takeOver(profile: string): Promise<TabLock> {
  const lock = await request(profile, { steal: true });
  if (!lock) throw new Error('the lock was not granted');
  return lock;
}

function request(profile: string, options: LockOptions): Promise<TabLock | null> {
  if (!('locks' in navigator)) {
    // No Web Locks (an old browser): nothing can tell two tabs apart, so run unguarded.
    return Promise.resolve({ lost: new Promise<void>(() => {}) });
  }
  return new Promise((granted, failed) => {
    let lost!: () => void;
    const lostPromise = new Promise<void>((resolve) => (lost = resolve));
    navigator.locks
      .request(lockName(profile), options, (lock) => {
        if (!lock) return granted(null);
        granted({ lost: lostPromise });
        return new Promise<void>(() => {}); // held until the tab goes away or is stolen from
      })
      // A stolen lock rejects the request with an AbortError; that is the only way it ends.
      .catch((error: unknown) => (error instanceof DOMException && error.name === 'AbortError' ? lost() : failed(error)));
  });
}
