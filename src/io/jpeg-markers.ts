import { checkDeclaredSize, type Refusal } from './image-limits.js';
import { exifOrientation } from './exif-orientation.js';
import { hexBytes, sniff } from './sniff.js';

/**
 * The marker layer of a JPEG file (ITU-T T.81, Annex B): SOI, then segments [FF xx][length u16 BE
 * (counting itself)][data], each scan's entropy-coded data after its SOS header, and EOI. Walking
 * it before decoding finds what the decoder (jpeg-js) would not say: the frame size (checked
 * against the pixel limit as soon as SOF is read, before any allocation), the coding process and
 * colour components, and a file cut short (no EOI: jpeg-js reads missing bytes as zeros).
 */

/** What the markers tell before decoding. */
export interface JpegFrame {
  width: number;
  height: number;
  /** Bits per sample (8 for every JPEG a browser shows; 12 in some medical images). */
  precision: number;
  /** Colour components: 1 grey, 3 YCbCr (or RGB), 4 CMYK/YCCK. */
  components: number;
  /** The SOF marker's low byte: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, … */
  sof: number;
  /** Scans (SOS segments): 1 for baseline files, several for progressive ones. */
  scans: number;
  /** EXIF orientation, 1 when there is none. */
  orientation: number;
}

/** SOF markers (T.81 table B.1) and the coding process each names. */
const SOF_NAMES: Record<number, string> = {
  0xc0: 'baseline', 0xc1: 'extended sequential', 0xc2: 'progressive', 0xc3: 'lossless',
  0xc5: 'differential sequential', 0xc6: 'differential progressive', 0xc7: 'differential lossless',
  0xc9: 'arithmetic-coded sequential', 0xca: 'arithmetic-coded progressive', 0xcb: 'arithmetic-coded lossless',
  0xcd: 'arithmetic-coded differential sequential', 0xce: 'arithmetic-coded differential progressive', 0xcf: 'arithmetic-coded differential lossless',
};

/** The coding process a SOF marker names ("progressive, SOF2"). */
export function sofName(sof: number): string {
  return `${SOF_NAMES[sof] ?? 'unknown'}, SOF${sof - 0xc0}`;
}

/**
 * Walks a JPEG's markers to EOI and returns the frame, or refuses with `bad(reason)` naming the
 * marker and byte offset at fault. `name` and `maxPixels` go into the size check.
 */
export function readJpegMarkers(bytes: Uint8Array, name: string, maxPixels: number, bad: Refusal): JpegFrame {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) bad(`this is ${sniff(bytes).what}`);
  let frame: Omit<JpegFrame, 'scans' | 'orientation'> | null = null;
  let scans = 0;
  let orientation = 1;
  let p = 2;
  for (;;) {
    if (p >= bytes.length) bad(`truncated: the file ends at byte ${bytes.length} without an end-of-image marker`);
    if (bytes[p] !== 0xff) bad(`corrupt file: expected a marker at byte ${p}, found byte ${hexBytes(bytes.subarray(p, p + 1))}`);
    while (bytes[p + 1] === 0xff) p++; // fill bytes before a marker
    if (p + 1 >= bytes.length) bad(`truncated: the file ends at byte ${bytes.length} without an end-of-image marker`);
    const m = bytes[p + 1]!;
    const at = p;
    if (m === 0xd9) break; // EOI
    if (m === 0xd8 || m === 0x00) bad(`corrupt file: unexpected marker ff ${hexBytes(Uint8Array.of(m))} at byte ${at}`);
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { // TEM, RSTn: no length
      p += 2;
      continue;
    }
    if (p + 4 > bytes.length) bad(`truncated: the file ends inside the segment at byte ${at}`);
    const len = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (len < 2) bad(`corrupt file: the segment ff ${hexBytes(Uint8Array.of(m))} at byte ${at} declares length ${len}`);
    if (p + 2 + len > bytes.length) bad(`truncated: the file ends inside the segment ff ${hexBytes(Uint8Array.of(m))} at byte ${at}, which declares ${len} bytes`);
    const data = bytes.subarray(p + 4, p + 2 + len);
    if (SOF_NAMES[m] !== undefined) {
      if (frame !== null) bad(`a second frame header, SOF, at byte ${at}; only single-frame JPEGs are supported`);
      if (data.length < 6) bad(`corrupt file: the frame header at byte ${at} is only ${data.length + 2} bytes long`);
      frame = { precision: data[0]!, height: (data[1]! << 8) | data[2]!, width: (data[3]! << 8) | data[4]!, components: data[5]!, sof: m };
      checkDeclaredSize('jpeg', name, frame.width, frame.height, maxPixels);
    } else if (m === 0xe1) {
      if (orientation === 1) orientation = exifOrientation(data);
    }
    p += 2 + len;
    if (m === 0xda) {
      if (frame === null) bad(`corrupt file: a scan, SOS, at byte ${at} before the frame header, SOF`);
      scans++;
      p = skipEntropyData(bytes, p);
    }
  }
  if (frame === null) bad('there is no frame header, SOF marker, so no image in the file');
  return { ...frame, scans, orientation };
}

/** The offset of the first marker after entropy-coded data (FF followed by neither 00 nor RSTn), or the file's length. */
function skipEntropyData(b: Uint8Array, p: number): number {
  for (; p + 1 < b.length; p++) {
    if (b[p] !== 0xff) continue;
    const n = b[p + 1]!;
    if (n !== 0x00 && n !== 0xff && !(n >= 0xd0 && n <= 0xd7)) return p;
  }
  return b.length;
}
