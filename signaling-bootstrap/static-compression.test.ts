import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { precompressDir } from '../scripts/precompress.js';
import { startServer, type RunningServer } from './server.js';
import { acceptedEncodings } from './static-files.js';

// The static server sends the build's brotli / gzip copies (scripts/precompress.ts) to browsers
// that accept them, with the original's type and Vary, and never a copy from outside dist/.

let server: RunningServer;
let dist: string;
const script = `export const app = ${JSON.stringify('DIMA '.repeat(2_000))};\n`;

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'dima-dist-'));
  writeFileSync(join(dist, 'index.html'), `<!doctype html><title>DIMA</title>${'<p>hello</p>'.repeat(200)}`);
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'assets', 'app-1.js'), script);
  writeFileSync(join(dist, 'assets', 'tiny-1.js'), 'x()');
  writeFileSync(join(dist, 'assets', 'other-1.js'), script);
  writeFileSync(join(dist, 'icon.png'), Buffer.alloc(4_000, 7));
  await precompressDir(dist);
  // A copy that points out of dist/: the realpath check must refuse it as it refuses any file.
  writeFileSync(`${dist}-outside.br`, 'not the app');
  rmSync(join(dist, 'assets', 'other-1.js.br'));
  symlinkSync(`${dist}-outside.br`, join(dist, 'assets', 'other-1.js.br'));
  server = await startServer({ port: 0, distDir: dist });
});

afterAll(async () => {
  await server.close();
  rmSync(dist, { recursive: true, force: true });
  rmSync(`${dist}-outside.br`, { force: true });
});

function get(path: string, acceptEncoding?: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), { method, headers: acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static server: precompressed files', () => {
  it('sends brotli when accepted, with the original type, length and Vary', async () => {
    const res = await get('/assets/app-1.js', 'gzip, deflate, br');
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['vary']).toBe('Accept-Encoding');
    expect(res.headers['cache-control']).toMatch(/immutable/);
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(res.body.length).toBeLessThan(script.length / 10);
    expect(brotliDecompressSync(res.body).toString()).toBe(script);
  });

  it('sends gzip to a browser without brotli, and the plain file to one that accepts neither', async () => {
    const gz = await get('/assets/app-1.js', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(script);
    const plain = await get('/assets/app-1.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding');
    expect(plain.body.toString()).toBe(script);
    const refused = await get('/assets/app-1.js', 'br;q=0, gzip;q=0, identity');
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('compresses the app shell for client routes too, and never images or files too small to gain', async () => {
    const route = await get('/chat/alice', 'br');
    expect(route.headers['content-encoding']).toBe('br');
    expect(route.headers['content-type']).toMatch(/^text\/html/);
    expect(route.headers['cache-control']).toBe('no-cache');
    expect(brotliDecompressSync(route.body).toString()).toContain('<title>DIMA</title>');
    const png = await get('/icon.png', 'br, gzip');
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.headers['vary']).toBeUndefined();
    expect((await get('/assets/tiny-1.js', 'br')).headers['content-encoding']).toBeUndefined();
  });

  it('never sends a copy whose real path leaves dist/: the next encoding, or the file itself', async () => {
    const res = await get('/assets/other-1.js', 'br, gzip');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toBe(script);
    const brOnly = await get('/assets/other-1.js', 'br');
    expect(brOnly.headers['content-encoding']).toBeUndefined();
    expect(brOnly.body.toString()).toBe(script);
  });

  it('answers HEAD with the compressed length and no body; a .br asked for by name is only a file', async () => {
    const head = await get('/assets/app-1.js', 'br', 'HEAD');
    expect(head.headers['content-encoding']).toBe('br');
    expect(head.body.length).toBe(0);
    const named = await get('/assets/app-1.js.br', 'br');
    expect(named.headers['content-encoding']).toBeUndefined();
    expect(named.headers['content-type']).toBe('application/octet-stream');
  });

  it('reads Accept-Encoding weights: q=0 refuses, * stands for the rest', () => {
    expect([...acceptedEncodings('gzip, deflate, br, zstd')]).toEqual(['br', 'gzip']);
    expect([...acceptedEncodings('br;q=0, *')]).toEqual(['gzip']);
    expect([...acceptedEncodings('*;q=0')]).toEqual([]);
    expect([...acceptedEncodings('BR;Q=0.5')]).toEqual(['br']);
    expect([...acceptedEncodings(undefined)]).toEqual([]);
    expect([...acceptedEncodings('gzip;q=nonsense')]).toEqual([]);
  });
});
