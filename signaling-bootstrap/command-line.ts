// What the Node entry points (server.ts, peer.ts) share as command-line programs: run main() only
// when the file is the script node started (tests import the same files), print its error and exit
// 1 if it fails, and on SIGINT/SIGTERM stop cleanly (a peer says goodbye to its leaves) before
// exiting.

import { pathToFileURL } from 'node:url';

/** Runs `main` when `moduleUrl` (import.meta.url) is the script node was started with. */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

/** On SIGINT or SIGTERM: `stop`, then exit 0 whether it succeeded or not. */
export function exitOnStopSignal(stop: () => Promise<unknown>): void {
  const onSignal = () => void stop().finally(() => process.exit(0));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
