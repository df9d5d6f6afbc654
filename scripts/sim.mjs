// `npm run sim -- ...`: runs the simulator CLI (src/sim/cli.ts) from a plain esbuild bundle, in a
// child node with a large heap and --expose-gc (for the heap figure).
//
// Why a bundle and not tsx: tsx compiles with esbuild's keepNames, which gives every closure a
// defined `name` property. A 100,000-node overlay creates millions of closures; the properties were
// 8% of its heap (and pushed it over the 4 GB target). The bundle takes ~0.1 s to build.

import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SIM_NODE_FLAGS = ['--max-old-space-size=6144', '--expose-gc'];

/** Bundles src/sim/cli.ts into node_modules/.cache and returns the bundle's path. */
export async function bundleSimCli() {
  const outfile = join(root, 'node_modules', '.cache', 'dima', 'sim-cli.mjs');
  await build({
    entryPoints: [join(root, 'src', 'sim', 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    keepNames: false,
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cli = await bundleSimCli();
  const child = spawn(process.execPath, [...SIM_NODE_FLAGS, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('close', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exitCode = code ?? 1;
  });
}
