/**
 * PNG writers for the image tests: pngjs for the formats it can write, and a minimal hand-made
 * encoder for the rest (palette, 1-bit, interlaced, and hostile files: any IHDR numbers, any
 * IDAT bytes, extra chunks). The CRC is node:zlib's, independent of camlab's.
 */
import { crc32, deflateSync } from 'node:zlib';
import { PNG, type PackerOptions } from 'pngjs';

export function toBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** pngjs-encoded PNG from pixel data in the given input layout. */
export function pngjsWrite(width: number, height: number, data: Buffer, opts: PackerOptions): Uint8Array {
  const png = new PNG({ width, height });
  png.data = data;
  return toBytes(PNG.sync.write(png, opts));
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One chunk: length, type, data, CRC-32 of type + data. */
export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function ihdr(width: number, height: number, bitDepth = 8, colorType = 6, interlace = 0): Uint8Array {
  const d = new Uint8Array(13);
  const v = new DataView(d.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  d.set([bitDepth, colorType, 0, 0, interlace], 8);
  return chunk('IHDR', d);
}

/** A PNG file from IHDR numbers and raw IDAT bytes (a zlib stream, or anything hostile). */
export function rawPng(width: number, height: number, idat: Uint8Array, o: { bitDepth?: number; colorType?: number; extra?: Uint8Array[] } = {}): Uint8Array {
  return concatBytes([SIGNATURE, ihdr(width, height, o.bitDepth, o.colorType), ...(o.extra ?? []), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

/** Adam7 passes [x0, y0, dx, dy] (PNG spec §8.2). */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/**
 * A PNG from per-pixel sample bytes (`pixels[y][x]` = the bytes of one pixel, at 8 or 16 bits) or
 * packed scanlines (`rows`, for bit depths below 8), filter type 0, optionally Adam7-interlaced.
 */
export function handPng(o: {
  width: number; height: number; bitDepth: number; colorType: number; rows?: number[][]; pixels?: number[][][];
  plte?: number[]; trns?: number[]; interlace?: boolean;
}): Uint8Array {
  let raw: number[];
  if (o.interlace) {
    raw = [];
    for (const [x0, y0, dx, dy] of ADAM7) {
      for (let y = y0; y < o.height; y += dy) {
        const line: number[] = [];
        for (let x = x0; x < o.width; x += dx) line.push(...o.pixels![y]![x]!);
        if (line.length > 0) raw.push(0, ...line);
      }
    }
  } else {
    const rows = o.rows ?? o.pixels!.map((r) => r.flat());
    raw = rows.flatMap((r) => [0, ...r]);
  }
  return concatBytes([
    SIGNATURE,
    ihdr(o.width, o.height, o.bitDepth, o.colorType, o.interlace ? 1 : 0),
    ...(o.plte ? [chunk('PLTE', Uint8Array.from(o.plte))] : []),
    ...(o.trns ? [chunk('tRNS', Uint8Array.from(o.trns))] : []),
    chunk('IDAT', toBytes(deflateSync(Uint8Array.from(raw)))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
