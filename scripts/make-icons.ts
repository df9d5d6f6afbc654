// Draws the DIMA app icons (the Pastry ring with a few nodes and one routed path) as PNGs, with
// nothing but zlib: a PNG is a signature, IHDR, zlib-deflated scanlines (filter byte 0) and IEND.
// Run: npx tsx scripts/make-icons.ts   (writes public/icons/*.png; the PNGs are committed)

import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Rgba = [number, number, number, number];

const BACKGROUND: Rgba = [0x12, 0x1a, 0x2b, 255];
const RING: Rgba = [0x7c, 0xa8, 0xff, 255];
const NODE: Rgba = [0xe8, 0xee, 0xff, 255];
const SELF: Rgba = [0xff, 0xc8, 0x4a, 255];
const PATH: Rgba = [0xff, 0xc8, 0x4a, 200];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

function encodePng(size: number, pixels: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(pixels.buffer, y * size * 4, size * 4).copy(rows, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** Signed-distance painter with 4x4 supersampling, so edges are smooth at any size. */
function draw(size: number, maskable: boolean): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  const c = size / 2;
  // Maskable icons are cropped to a circle of 80% diameter: keep the drawing inside that safe zone.
  const scale = maskable ? 0.72 : 0.92;
  const ringRadius = c * 0.68 * scale;
  const ringWidth = size * 0.035 * scale;
  const nodeRadius = size * 0.055 * scale;
  const angles = [-90, -30, 25, 80, 140, 200];
  const nodes = angles.map((deg) => {
    const a = (deg * Math.PI) / 180;
    return [c + ringRadius * Math.cos(a), c + ringRadius * Math.sin(a)] as const;
  });
  const [self, , , target] = [nodes[0], nodes[1], nodes[2], nodes[3]];

  const segmentDistance = (px: number, py: number, a: readonly [number, number], b: readonly [number, number]) => {
    const [ax, ay] = a;
    const [bx, by] = b;
    const t = Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
    return Math.hypot(px - (ax + t * (bx - ax)), py - (ay + t * (by - ay)));
  };

  const colourAt = (x: number, y: number): Rgba => {
    const fromCentre = Math.hypot(x - c, y - c);
    if (!maskable && fromCentre > c * 0.96) return [0, 0, 0, 0];
    let colour = BACKGROUND;
    if (Math.abs(fromCentre - ringRadius) < ringWidth / 2) colour = RING;
    if (segmentDistance(x, y, self, [c, c]) < ringWidth * 0.7 || segmentDistance(x, y, [c, c], target) < ringWidth * 0.7) {
      colour = PATH;
    }
    for (const [nx, ny] of nodes) if (Math.hypot(x - nx, y - ny) < nodeRadius) colour = NODE;
    if (Math.hypot(x - self[0], y - self[1]) < nodeRadius * 1.35) colour = SELF;
    return colour;
  };

  const samples = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const [r, g, b, a] = colourAt(x + (sx + 0.5) / samples, y + (sy + 0.5) / samples);
          sum[0] += r * a;
          sum[1] += g * a;
          sum[2] += b * a;
          sum[3] += a;
        }
      }
      const i = (y * size + x) * 4;
      const alpha = sum[3] / samples ** 2;
      for (let k = 0; k < 3; k++) pixels[i + k] = sum[3] ? Math.round(sum[k] / sum[3]) : 0;
      pixels[i + 3] = Math.round(alpha);
    }
  }
  return pixels;
}

const outDir = join(import.meta.dirname, '..', 'public', 'icons');
mkdirSync(outDir, { recursive: true });
const icons: Array<[string, number, boolean]> = [
  ['icon-192.png', 192, false],
  ['icon-512.png', 512, false],
  ['maskable-512.png', 512, true],
  ['apple-touch-icon-180.png', 180, true],
];
for (const [name, size, maskable] of icons) {
  writeFileSync(join(outDir, name), encodePng(size, draw(size, maskable)));
  console.log(`wrote public/icons/${name}`);
}
