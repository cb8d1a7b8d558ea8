#!/usr/bin/env node
/**
 * Draws the volunteer app's icons (PNG, 192×192 and 512×512) with nothing
 * but Node's zlib: a full-bleed square in the theme colour with a 3×3 grid
 * of white "packets", one of them amber, kept inside the central 60 % so
 * the same picture works as a maskable icon (launchers crop to a circle or
 * squircle). Edges are anti-aliased by 4×4 supersampling.
 */
import { deflateSync } from 'node:zlib';

const THEME = [0x2d, 0x6c, 0xdf];
const PACKET = [0xff, 0xff, 0xff];
const ACCENT = [0xff, 0xb3, 0x2e];
const SAMPLES = 4;

/** The colour at (x, y) in the unit square, or null for the background. */
function shapeAt(x, y) {
  const grid = 0.6, start = 0.2, cell = grid / 3, gap = cell * 0.18, radius = cell * 0.18;
  const gx = Math.floor((x - start) / cell), gy = Math.floor((y - start) / cell);
  if (gx < 0 || gy < 0 || gx > 2 || gy > 2) return null;
  // position inside the packet (the cell minus its gap), rounded corners
  const px = x - start - gx * cell - gap / 2, py = y - start - gy * cell - gap / 2, size = cell - gap;
  if (px < 0 || py < 0 || px > size || py > size) return null;
  const cx = Math.min(Math.max(px, radius), size - radius), cy = Math.min(Math.max(py, radius), size - radius);
  if ((px - cx) ** 2 + (py - cy) ** 2 > radius ** 2) return null;
  return gx === 2 && gy === 0 ? ACCENT : PACKET;
}

/** RGBA rows, each prefixed with PNG filter byte 0. */
function pixels(size) {
  const row = size * 4 + 1;
  const out = Buffer.alloc(row * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sum = [0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const c = shapeAt((x + (sx + 0.5) / SAMPLES) / size, (y + (sy + 0.5) / SAMPLES) / size) ?? THEME;
          for (let i = 0; i < 3; i++) sum[i] += c[i];
        }
      }
      const at = y * row + 1 + x * 4;
      for (let i = 0; i < 3; i++) out[at + i] = Math.round(sum[i] / (SAMPLES * SAMPLES));
      out[at + 3] = 255;
    }
  }
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A size×size RGBA PNG of the icon. */
export function iconPng(size) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;  // bit depth
  ihdr[9] = 6;  // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(pixels(size), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
