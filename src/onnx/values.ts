import { halfToFloat } from '../io/safetensors.js';
import { shapeStr } from '../tensor/errors.js';
import { sizeOf } from '../tensor/shape.js';
import type { TensorProto } from './proto.js';
import { onnxFail } from './errors.js';

/** ONNX TensorProto.DataType codes camlab reads. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16 } as const;

const DT_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL',
  10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
};

export function dataTypeName(t: number): string {
  return DT_NAMES[t] ?? `data type ${t}`;
}

/** Floating-point element types: computed in the model's dtype (float32 or float64). */
export function isFloatType(t: number): boolean {
  return t === DT.FLOAT || t === DT.DOUBLE || t === DT.FLOAT16 || t === DT.BFLOAT16;
}

/**
 * A value known at load time: an initializer, a Constant, or the result of folding shape
 * arithmetic. Integers and booleans live only here (camlab tensors are floating point); floats
 * become tensors of the model's dtype when a run-time op reads them.
 */
export interface HostValue {
  dataType: number;
  shape: number[];
  data: ArrayLike<number>;
}

export function host(dataType: number, shape: readonly number[], data: ArrayLike<number>): HostValue {
  if (sizeOf(shape) !== data.length) onnxFail(`internal: ${data.length} values for shape ${shapeStr(shape)}`);
  return { dataType, shape: [...shape], data };
}

/** A 1-D INT64 value, as shape arithmetic produces. */
export function ints(values: readonly number[]): HostValue {
  return host(DT.INT64, [values.length], values.slice());
}

/** The values of a host value as integers (axes, shapes, pads), checked to be whole numbers. */
export function intList(v: HostValue, what: string): number[] {
  const out = Array.from(v.data);
  for (const x of out) if (!Number.isInteger(x) && Math.abs(x) !== Infinity) onnxFail(`${what} must hold integers, got ${x}`);
  return out;
}

/** True when two host values hold the same type, shape and numbers. */
export function sameHost(a: HostValue, b: HostValue): boolean {
  if (a === b) return true;
  if (a.dataType !== b.dataType || a.shape.length !== b.shape.length || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.shape.length; i++) if (a.shape[i] !== b.shape[i]) return false;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!;
    const y = b.data[i]!;
    if (x !== y && !(x !== x && y !== y)) return false;
  }
  return true;
}

const BYTES: Record<number, number> = {
  [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.FLOAT16]: 2, [DT.BFLOAT16]: 2, [DT.INT64]: 8, [DT.UINT64]: 8, [DT.INT32]: 4,
  [DT.UINT32]: 4, [DT.INT16]: 2, [DT.UINT16]: 2, [DT.INT8]: 1, [DT.UINT8]: 1, [DT.BOOL]: 1,
};

/** Where a tensor's bytes come from: the file itself, or a side file for external data. */
export type ExternalData = (location: string) => Uint8Array;

/**
 * Decodes a TensorProto's values (raw_data little-endian bytes, or the typed repeated fields;
 * external data through `external`). FLOAT stays a Float32Array (shared with float32 tensors
 * without a copy); every other type becomes float64 numbers (int64 exact up to 2^53).
 */
export function decodeTensorData(t: TensorProto, external: ExternalData | undefined, where: string): HostValue {
  const what = `${where} '${t.name}' (${dataTypeName(t.dataType)} ${shapeStr(t.dims)}, byte ${t.at})`;
  for (const d of t.dims) if (!Number.isInteger(d) || d < 0) onnxFail(`${what}: invalid dimension ${d}`);
  const n = sizeOf(t.dims);
  const width = BYTES[t.dataType];
  if (width === undefined) onnxFail(`${what}: camlab reads FLOAT, DOUBLE, FLOAT16, BFLOAT16, integer and BOOL tensors, not ${dataTypeName(t.dataType)}`);
  let raw = t.raw;
  if (t.external !== null) raw = externalBytes(t, external, what);
  if (raw !== null) {
    if (raw.length !== n * width) onnxFail(`${what}: holds ${raw.length} bytes of data, expected ${n} x ${width} = ${n * width}`);
    return host(t.dataType, t.dims, fromBytes(raw, t.dataType, n));
  }
  const fields: Array<[number[], string]> = [
    [t.floatData, 'float_data'], [t.int32Data, 'int32_data'], [t.int64Data, 'int64_data'], [t.doubleData, 'double_data'], [t.uint64Data, 'uint64_data'],
  ];
  const used = fields.filter(([a]) => a.length > 0);
  const values = used.length > 0 ? used[0]![0] : [];
  if (values.length !== n) onnxFail(`${what}: holds ${values.length} values in ${used[0]?.[1] ?? 'its data fields'}, expected ${n}`);
  if (t.dataType === DT.FLOAT) return host(t.dataType, t.dims, Float32Array.from(values));
  if (t.dataType === DT.FLOAT16) return host(t.dataType, t.dims, values.map(halfToFloat));
  if (t.dataType === DT.BFLOAT16) return host(t.dataType, t.dims, values.map((v) => bf16ToNumber(v)));
  return host(t.dataType, t.dims, values.slice());
}

function bf16ToNumber(bits: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, (bits & 0xffff) << 16);
  return b.getFloat32(0);
}

function externalBytes(t: TensorProto, external: ExternalData | undefined, what: string): Uint8Array {
  const location = t.external!.get('location');
  if (location === undefined || location === '') onnxFail(`${what}: external data without a location`);
  if (external === undefined) {
    onnxFail(`${what}: its data is in the side file '${location}'; pass loadOnnx(bytes, { externalData: (location) => bytes }), or load by path with loadOnnxFile in Node`);
  }
  const file = external(location);
  const offset = Number(t.external!.get('offset') ?? '0');
  const length = t.external!.has('length') ? Number(t.external!.get('length')) : file.length - offset;
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > file.length) {
    onnxFail(`${what}: external data range offset ${t.external!.get('offset') ?? '0'}, length ${t.external!.get('length') ?? '(rest)'} lies outside '${location}' (${file.length} bytes)`);
  }
  return file.subarray(offset, offset + length);
}

/** Typed arrays use the platform's byte order; ONNX data is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function fromBytes(raw: Uint8Array, dataType: number, n: number): ArrayLike<number> {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  // Weights: one aligned copy viewed in place (raw_data sits at any offset in the file).
  if (LITTLE_ENDIAN && dataType === DT.FLOAT) return new Float32Array(raw.slice().buffer);
  if (LITTLE_ENDIAN && dataType === DT.DOUBLE) return new Float64Array(raw.slice().buffer);
  switch (dataType) {
    case DT.FLOAT: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
      return out;
    }
    case DT.DOUBLE: {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, true);
      return out;
    }
    case DT.FLOAT16: return Float64Array.from({ length: n }, (_, i) => halfToFloat(v.getUint16(2 * i, true)));
    case DT.BFLOAT16: return Float64Array.from({ length: n }, (_, i) => bf16ToNumber(v.getUint16(2 * i, true)));
    case DT.INT64: return Float64Array.from({ length: n }, (_, i) => Number(v.getBigInt64(8 * i, true)));
    case DT.UINT64: return Float64Array.from({ length: n }, (_, i) => Number(v.getBigUint64(8 * i, true)));
    case DT.INT32: return Float64Array.from({ length: n }, (_, i) => v.getInt32(4 * i, true));
    case DT.UINT32: return Float64Array.from({ length: n }, (_, i) => v.getUint32(4 * i, true));
    case DT.INT16: return Float64Array.from({ length: n }, (_, i) => v.getInt16(2 * i, true));
    case DT.UINT16: return Float64Array.from({ length: n }, (_, i) => v.getUint16(2 * i, true));
    case DT.INT8: return Float64Array.from({ length: n }, (_, i) => v.getInt8(i));
    default: return Float64Array.from(raw.subarray(0, n)); // UINT8, BOOL
  }
}
