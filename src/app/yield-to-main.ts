// Start-up work is cut into tasks so a phone's main thread never blocks long (Lighthouse's TBT counts
// every task over 50 ms): between steps the page can paint and answer a tap.

interface YieldingScheduler {
  yield(): Promise<void>;
}

/**
 * Ends the current task; the caller continues in a new one. scheduler.yield() where the browser has
 * it (the continuation runs ahead of other queued tasks), else a MessageChannel message (not clamped
 * like setTimeout), else a timer.
 */
export function yieldToMain(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: Partial<YieldingScheduler> }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Resolves after the next frame was painted (a frame callback, then a task after it). */
export function afterNextPaint(): Promise<void> {
  if (typeof requestAnimationFrame !== 'function') return yieldToMain();
  // A hidden tab gets no frames: the timer makes sure start-up still goes on.
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      void yieldToMain().then(resolve);
    });
  });
}
