// Serves the built app (./dist) for `npm start`: correct MIME types, index.html for client-side
// routes, caching that cannot pin an old service worker, and the brotli / gzip copies the build
// made (scripts/precompress.ts) to browsers that accept them.

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { COMPRESSIBLE } from '../scripts/precompress.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * Files the browser must re-check on every load. A service worker script cached for a day would keep
 * users on an old app for that long (browsers cap SW script caching at 24 h, but we want 0).
 */
const NEVER_CACHE = /^(index\.html|sw\.js|service-worker\.js|registerSW\.js|workbox-sw\.js|manifest\.webmanifest)$/;
/** Vite puts content-hashed files in /assets: safe to cache forever. */
const IMMUTABLE_DIR = 'assets';

export type StaticHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export function staticFiles(distDir: string): StaticHandler {
  const root = resolve(distDir);
  // A symlink inside dist/ may point anywhere: files are served only if their real path is inside too.
  const inside = async (file: { path: string; size: number } | null) => {
    if (!file) return null;
    try {
      const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file.path)]);
      return realFile.startsWith(realRoot + sep) ? file : null;
    } catch {
      return null;
    }
  };

  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    } catch {
      response.writeHead(400).end('bad path');
      return;
    }
    const relative = normalize(pathname).replace(/^([/\\])+/, '');
    const file = join(root, relative);
    if (file !== root && !file.startsWith(root + sep)) {
      response.writeHead(403).end();
      return;
    }
    const target = (await inside(await fileAt(file))) ?? (await inside(await fileAt(join(file, 'index.html'))));
    if (target) return send(request, response, await encoded(request, target, inside), relative);
    // Client-side routes (no extension) get the app; a missing asset is a real 404.
    if (extname(relative) === '') {
      const index = await inside(await fileAt(join(root, 'index.html')));
      if (index) return send(request, response, await encoded(request, index, inside), 'index.html');
      response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('The app is not built: run `npm run build`.\n');
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
  };
}

/** A file as sent: its own bytes, or a precompressed copy (`encoding`) of them. */
interface Sendable {
  path: string;
  size: number;
  /** The file whose type and name count (the copy's own path ends in .br or .gz). */
  original?: string;
  encoding?: 'br' | 'gzip';
}

const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

/**
 * The precompressed copy the request accepts (brotli first), if the build made one and it too is
 * inside dist/; else the file itself. Only for types worth compressing (never a copy of a copy).
 */
async function encoded(
  request: IncomingMessage,
  file: { path: string; size: number },
  inside: (file: { path: string; size: number } | null) => Promise<{ path: string; size: number } | null>,
): Promise<Sendable> {
  if (!COMPRESSIBLE.test(file.path)) return file;
  const accepted = acceptedEncodings(request.headers['accept-encoding']);
  for (const { name, suffix } of ENCODINGS) {
    if (!accepted.has(name)) continue;
    const copy = await inside(await fileAt(file.path + suffix));
    if (copy) return { ...copy, original: file.path, encoding: name };
  }
  return file;
}

/** Encodings an Accept-Encoding header allows (q > 0; `*` stands for any not named). */
export function acceptedEncodings(header: string | string[] | undefined): Set<string> {
  const named = new Map<string, number>();
  for (const part of (Array.isArray(header) ? header.join(',') : header ?? '').split(',').slice(0, 32)) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    named.set(token, Number.isFinite(weight) ? weight : 0);
  }
  const out = new Set<string>();
  for (const { name } of ENCODINGS) {
    const weight = named.get(name) ?? named.get('*') ?? 0;
    if (weight > 0) out.add(name);
  }
  return out;
}

async function fileAt(path: string): Promise<{ path: string; size: number } | null> {
  try {
    const info = await stat(path);
    return info.isFile() ? { path, size: info.size } : null;
  } catch {
    return null;
  }
}

function send(request: IncomingMessage, response: ServerResponse, file: Sendable, relative: string): void {
  const name = relative.split(/[/\\]/).pop() || 'index.html';
  const cacheControl = NEVER_CACHE.test(name) || file.path.endsWith('index.html')
    ? 'no-cache'
    : relative.startsWith(IMMUTABLE_DIR + '/') || relative.startsWith(IMMUTABLE_DIR + '\\')
      ? 'public, max-age=31536000, immutable'
      : 'public, max-age=0, must-revalidate';
  const headers: Record<string, string | number> = {
    'Content-Type': MIME[extname(file.original ?? file.path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': file.size,
    'Cache-Control': cacheControl,
    'X-Content-Type-Options': 'nosniff',
  };
  if (file.encoding) headers['Content-Encoding'] = file.encoding;
  // Whether or not this answer is compressed, another Accept-Encoding may get other bytes.
  if (COMPRESSIBLE.test(file.original ?? file.path)) headers['Vary'] = 'Accept-Encoding';
  if (name === 'sw.js' || name === 'service-worker.js') headers['Service-Worker-Allowed'] = '/';
  response.writeHead(200, headers);
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  const stream = createReadStream(file.path);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}
