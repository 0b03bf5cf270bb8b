import type { DType } from '../tensor/dtype.js';
import { CamlabError, shapeStr } from '../tensor/errors.js';
import { sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { utf8Decode, utf8Encode } from './utf8.js';

/**
 * safetensors (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
 * JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}, then the raw
 * little-endian data (offsets relative to its start). Keys are PyTorch state-dict names, so a
 * `save_file(model.state_dict(), path)` from Python loads unchanged.
 */
export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

function bad(msg: string): never {
  throw new CamlabError('safetensors', msg);
}

/**
 * Parses a safetensors file. F64 loads as float64; F32, F16 and BF16 as float32; integer and
 * bool tensors (e.g. batch-norm's num_batches_tracked) as float64. Truncated or corrupt input
 * gives an error saying what is wrong, never an out-of-bounds crash.
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) bad(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 4294967296;
  if (8 + n > bytes.length) bad(`header length ${n} does not fit in a file of ${bytes.length} bytes (truncated or not a safetensors file)`);
  if (n < 2) bad(`header length ${n} is too small for a JSON object (not a safetensors file)`);
  const text = utf8Decode(bytes.subarray(8, 8 + n));
  if (text === null) bad('header is not valid UTF-8');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    bad(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('header must be a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  const spans: Array<[number, number, string]> = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null) continue;
      if (typeof info !== 'object' || Array.isArray(info) || !Object.values(info).every((v) => typeof v === 'string')) {
        bad(`__metadata__ must be an object of string values, got ${JSON.stringify(info)}`);
      }
      metadata = info as Record<string, string>;
      continue;
    }
    const e = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) bad(`entry '${name}' is not an object`);
    const dt = e.dtype;
    if (typeof dt !== 'string' || BYTES[dt] === undefined) bad(`tensor '${name}' has unsupported dtype ${JSON.stringify(dt)} (supported: ${Object.keys(BYTES).join(', ')})`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    if (shape.some((d) => d === 0)) bad(`tensor '${name}' has shape ${shapeStr(shape as number[])} with no elements; camlab has no empty tensors`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    const [b, end] = off as [number, number];
    const count = sizeOf(shape as number[]);
    const width = BYTES[dt]!;
    if (end < b || end - b !== count * width) bad(`tensor '${name}' ${dt}${shapeStr(shape as number[])} needs ${count * width} bytes but data_offsets [${b}, ${end}] span ${end - b}`);
    if (end > dataLen) bad(`tensor '${name}' ends at byte ${end} of the data section, which holds only ${dataLen} bytes (file truncated?)`);
    tensors.set(name, new Tensor(decode(view, dataStart + b, count, dt), shape as number[]));
    spans.push([b, end, name]);
  }
  // As the reference reader: tensors must not overlap (each byte belongs to at most one tensor).
  spans.sort((p, q) => p[0] - q[0]);
  for (let i = 1; i < spans.length; i++) {
    const [pb, pe, pn] = spans[i - 1]!;
    const [qb, , qn] = spans[i]!;
    if (qb < pe) bad(`tensors '${pn}' [${pb}, ${pe}) and '${qn}' overlap in the data section (corrupt header)`);
  }
  return { tensors, metadata };
}

function decode(view: DataView, at: number, n: number, dt: string): Float32Array | Float64Array {
  switch (dt) {
    case 'F64': {
      const o = new Float64Array(n);
      for (let i = 0; i < n; i++) o[i] = view.getFloat64(at + 8 * i, true);
      return o;
    }
    case 'F32': {
      const o = new Float32Array(n);
      for (let i = 0; i < n; i++) o[i] = view.getFloat32(at + 4 * i, true);
      return o;
    }
    case 'F16': {
      const o = new Float32Array(n);
      for (let i = 0; i < n; i++) o[i] = halfToFloat(view.getUint16(at + 2 * i, true));
      return o;
    }
    case 'BF16': {
      const o = new Float32Array(n);
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        tmp.setUint32(0, view.getUint16(at + 2 * i, true) << 16);
        o[i] = tmp.getFloat32(0);
      }
      return o;
    }
    default: {
      const o = new Float64Array(n);
      for (let i = 0; i < n; i++) o[i] = readInt(view, at, i, dt);
      return o;
    }
  }
}

function readInt(view: DataView, at: number, i: number, dt: string): number {
  switch (dt) {
    case 'I64':
      return Number(view.getBigInt64(at + 8 * i, true));
    case 'I32':
      return view.getInt32(at + 4 * i, true);
    case 'I16':
      return view.getInt16(at + 2 * i, true);
    case 'I8':
      return view.getInt8(at + i);
    default:
      return view.getUint8(at + i);
  }
}

/** IEEE half → float (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Serializes tensors (F64 for float64, F32 for float32 tensors; `dtype` forces one) with keys
 * in the given order, 8-byte aligned header as the reference writer does.
 */
export function serializeSafetensors(tensors: ReadonlyMap<string, Tensor> | Iterable<readonly [string, Tensor]>, opts: { metadata?: Record<string, string>; dtype?: DType } = {}): Uint8Array {
  const entries = [...(tensors instanceof Map ? tensors.entries() : tensors)] as Array<[string, Tensor]>;
  const header: Record<string, unknown> = {};
  if (opts.metadata !== undefined) header.__metadata__ = opts.metadata;
  let offset = 0;
  const kinds = entries.map(([name, t]) => {
    const dtype = opts.dtype ?? t.dtype;
    const width = dtype === 'float64' ? 8 : 4;
    header[name] = { dtype: width === 8 ? 'F64' : 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.size * width] };
    offset += t.size * width;
    return width;
  });
  const raw = utf8Encode(JSON.stringify(header));
  const json = new Uint8Array(raw.length + ((8 - (raw.length % 8)) % 8)).fill(0x20); // padded with spaces
  json.set(raw);
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  let at = 8 + json.length;
  entries.forEach(([, t], k) => {
    const d = t.data;
    if (kinds[k] === 8) for (let i = 0; i < d.length; i++, at += 8) view.setFloat64(at, d[i]!, true);
    else for (let i = 0; i < d.length; i++, at += 4) view.setFloat32(at, d[i]!, true);
  });
  return out;
}
