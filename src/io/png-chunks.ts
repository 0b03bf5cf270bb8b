import { checkDeclaredSize, type Refusal } from './image-limits.js';
import { hexBytes, sniff } from './sniff.js';

/**
 * The chunk layer of a PNG file (PNG spec, 3rd edition, §5): the 8-byte signature, then chunks of
 * [length u32 BE][type, 4 letters][data][CRC-32 of type + data], starting with IHDR and ending with
 * IEND. Every structural fault is found here, before any pixel memory is allocated: the declared
 * size is checked against the pixel limit as soon as IHDR is read. Pure: bytes in, parts out.
 */

/** IHDR: the image header (§11.2.2). */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

/** What decoding needs from the chunks: the header, the palette, the transparency, and the concatenated IDAT data. */
export interface PngParts {
  header: PngHeader;
  /** PLTE as RGBA entries (alpha from tRNS, 255 where tRNS has none); null unless colour type 3. */
  palette: Uint8Array | null;
  /** tRNS for grey (one sample) or truecolour (three samples) images: the one fully transparent colour. */
  transparent: number[] | null;
  /** The zlib stream: the data of all IDAT chunks, in order. */
  idat: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Allowed bit depths per colour type (§11.2.2, table 11.1). */
const DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, the PNG/zlib polynomial) of bytes[from, to). */
export function crc32(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Walks the chunks of a PNG file and returns its parts, or refuses with a reason naming the chunk
 * and byte offset at fault (a CRC mismatch, a truncation, an invalid header, a missing chunk).
 * `name` and `maxPixels` go into the size check, which has its own message.
 */
export function readPngChunks(bytes: Uint8Array, name: string, maxPixels: number, bad: Refusal): PngParts {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) bad(`this is ${sniff(bytes).what}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: PngHeader | null = null;
  let palette: Uint8Array | null = null;
  let transparent: number[] | null = null;
  const idat: Array<[number, number]> = [];
  let idatDone = false; // an IDAT run has ended: a later IDAT is out of order
  let p = 8;
  for (;;) {
    if (p + 8 > bytes.length) bad(p === bytes.length ? `truncated: the file ends after byte ${p} without an IEND chunk` : `truncated: the file ends inside a chunk header at byte ${p}`);
    const len = view.getUint32(p);
    const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) bad(`corrupt file: the chunk at byte ${p} has an invalid type, bytes ${hexBytes(bytes.subarray(p + 4, p + 8))}`);
    if (len > 0x7fffffff) bad(`corrupt file: the ${type} chunk at byte ${p} declares ${len} bytes, more than the PNG maximum 2^31-1`);
    const end = p + 12 + len;
    if (end > bytes.length) bad(`truncated: the file ends inside the ${type} chunk at byte ${p}, which declares ${len} data bytes`);
    if (crc32(bytes, p + 4, p + 8 + len) !== view.getUint32(p + 8 + len)) bad(`CRC mismatch in ${type}, the chunk at byte ${p}`);
    const data = bytes.subarray(p + 8, p + 8 + len);
    if (header === null) {
      if (type !== 'IHDR') bad(`the first chunk is ${type}, not IHDR`);
      header = readHeader(data, bad);
      checkDeclaredSize('png', name, header.width, header.height, maxPixels);
    } else if (type === 'IHDR') {
      bad(`a second IHDR chunk at byte ${p}`);
    } else if (type === 'PLTE') {
      if (idat.length > 0) bad(`PLTE chunk at byte ${p} comes after IDAT`);
      if (palette !== null) bad(`a second PLTE chunk at byte ${p}`);
      if (len % 3 !== 0 || len === 0 || len > 768) bad(`PLTE chunk has ${len} bytes; it must hold 1 to 256 RGB entries of 3 bytes`);
      if (header.colorType === 3) palette = readPalette(data);
    } else if (type === 'tRNS') {
      if (idat.length > 0) bad(`tRNS chunk at byte ${p} comes after IDAT`);
      if (header.colorType === 3) {
        if (palette === null) bad('tRNS chunk comes before PLTE');
        if (len > palette.length / 4) bad(`tRNS has ${len} alpha values for a ${palette.length / 4}-entry palette`);
        for (let i = 0; i < len; i++) palette[4 * i + 3] = data[i]!;
      } else if (header.colorType === 0 || header.colorType === 2) {
        const n = header.colorType === 0 ? 1 : 3;
        if (len !== 2 * n) bad(`tRNS chunk has ${len} bytes; colour type ${header.colorType} needs ${2 * n}`);
        transparent = Array.from({ length: n }, (_, i) => view.getUint16(p + 8 + 2 * i));
      } // colour types 4 and 6 have an alpha channel; a tRNS there is ignored, as libpng does.
    } else if (type === 'IDAT') {
      if (idatDone) bad(`IDAT chunks are not consecutive: another IDAT at byte ${p}`);
      idat.push([p + 8, p + 8 + len]);
    } else if (type === 'IEND') {
      break;
    } else if (type.charCodeAt(0) < 0x61) {
      bad(`unknown critical chunk ${type} at byte ${p}`); // uppercase first letter: a decoder must understand it (§5.4)
    }
    if (idat.length > 0 && type !== 'IDAT') idatDone = true;
    p = end;
  }
  if (idat.length === 0) bad('there is no IDAT chunk, so no pixel data');
  if (header.colorType === 3 && palette === null) bad('a palette image, colour type 3, without a PLTE chunk');
  return { header, palette, transparent, idat: concat(bytes, idat) };
}

function readHeader(data: Uint8Array, bad: Refusal): PngHeader {
  if (data.length !== 13) bad(`IHDR has ${data.length} bytes, not 13`);
  const v = new DataView(data.buffer, data.byteOffset, 13);
  const [width, height] = [v.getUint32(0), v.getUint32(4)];
  const [bitDepth, colorType, compression, filter, interlace] = [data[8]!, data[9]!, data[10]!, data[11]!, data[12]!];
  if (width > 0x7fffffff || height > 0x7fffffff) bad(`IHDR declares ${width}x${height} pixels; PNG dimensions are at most 2^31-1`);
  const depths = DEPTHS[colorType];
  if (depths === undefined) bad(`IHDR has colour type ${colorType}; PNG defines 0, 2, 3, 4 and 6`);
  if (!depths.includes(bitDepth)) bad(`IHDR has bit depth ${bitDepth}, invalid for colour type ${colorType}; allowed: ${depths.join(', ')}`);
  if (compression !== 0) bad(`IHDR has compression method ${compression}; PNG defines only 0`);
  if (filter !== 0) bad(`IHDR has filter method ${filter}; PNG defines only 0`);
  if (interlace > 1) bad(`IHDR has interlace method ${interlace}; PNG defines 0 and 1`);
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

/** PLTE entries as opaque RGBA (a later tRNS chunk sets the alpha values it lists). */
function readPalette(data: Uint8Array): Uint8Array {
  const n = data.length / 3;
  const out = new Uint8Array(4 * n).fill(255);
  for (let i = 0; i < n; i++) out.set(data.subarray(3 * i, 3 * i + 3), 4 * i);
  return out;
}

function concat(bytes: Uint8Array, spans: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const out = new Uint8Array(spans.reduce((s, [a, b]) => s + b - a, 0));
  let at = 0;
  for (const [a, b] of spans) {
    out.set(bytes.subarray(a, b), at);
    at += b - a;
  }
  return out;
}
