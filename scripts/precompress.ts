// A build step (a Vite plugin): next to every text file of the build, a brotli (.br) and a gzip
// (.gz) copy, made once at build time with node:zlib at the highest levels. The static server
// (signaling-bootstrap/static-files.ts) sends one of them when the browser accepts it: a phone on a
// slow link downloads about a third of the bytes, and nothing is compressed per request.

import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'vite';

/** What is worth compressing: text. Images are compressed already; maps are for developers. */
export const COMPRESSIBLE = /\.(js|mjs|css|html|json|webmanifest|svg|txt|wasm)$/;
/** Below this a compressed copy saves less than its headers cost. */
const MIN_BYTES = 1024;

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

export async function precompressDir(dir: string): Promise<{ files: number; bytes: number; brotliBytes: number; gzipBytes: number }> {
  const totals = { files: 0, bytes: 0, brotliBytes: 0, gzipBytes: 0 };
  for (const file of await walk(resolve(dir))) {
    if (!COMPRESSIBLE.test(file) || (await stat(file)).size < MIN_BYTES) continue;
    const data = await readFile(file);
    const [br, gzipped] = await Promise.all([
      brotli(data, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
      gz(data, { level: constants.Z_BEST_COMPRESSION }),
    ]);
    await Promise.all([writeFile(`${file}.br`, br), writeFile(`${file}.gz`, gzipped)]);
    totals.files++;
    totals.bytes += data.length;
    totals.brotliBytes += br.length;
    totals.gzipBytes += gzipped.length;
  }
  return totals;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Runs after every other plugin has written its files (the PWA plugin's service worker too). */
export function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'dima-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle: {
      order: 'post',
      sequential: true,
      async handler() {
        const t = await precompressDir(outDir);
        const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
        console.log(`precompressed ${t.files} files: ${kib(t.bytes)} -> brotli ${kib(t.brotliBytes)}, gzip ${kib(t.gzipBytes)}`);
      },
    },
  };
}
