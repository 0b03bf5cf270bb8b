/**
 * A small protobuf writer and ONNX model builder for tests: hand-made graphs for single operators,
 * unsupported operators, external data and hostile bytes. Field numbers are onnx.proto's (the
 * reader in src/onnx/proto.ts is not used here, so the two check each other).
 */

/** Bytes of one varint (two's complement for negatives, 10 bytes). */
export function varint(v: number): number[] {
  const out: number[] = [];
  let big = BigInt.asUintN(64, BigInt(v));
  do {
    let b = Number(big & 0x7fn);
    big >>= 7n;
    if (big !== 0n) b |= 0x80;
    out.push(b);
  } while (big !== 0n);
  return out;
}

export type Field = number[];

export const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
export const vint = (field: number, v: number): Field => [...tag(field, 0), ...varint(v)];
export const bytes = (field: number, b: ArrayLike<number>): Field => [...tag(field, 2), ...varint(b.length), ...Array.from(b)];
export const str = (field: number, s: string): Field => bytes(field, new TextEncoder().encode(s));
export const msg = (field: number, parts: readonly Field[]): Field => bytes(field, parts.flat());
export const f32 = (field: number, v: number): Field => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return [...tag(field, 5), ...b];
};

export const FLOAT = 1;
export const INT64 = 7;
export const BOOL = 9;
export const DOUBLE = 11;

/** A TensorProto with raw little-endian data (FLOAT, DOUBLE, INT64 or BOOL). */
export function tensorProto(name: string, dataType: number, dims: readonly number[], values: readonly number[], field = 5): Field {
  const width = dataType === FLOAT ? 4 : dataType === BOOL ? 1 : 8;
  const raw = new Uint8Array(values.length * width);
  const v = new DataView(raw.buffer);
  values.forEach((x, i) => {
    if (dataType === FLOAT) v.setFloat32(4 * i, x, true);
    else if (dataType === DOUBLE) v.setFloat64(8 * i, x, true);
    else if (dataType === BOOL) v.setUint8(i, x ? 1 : 0);
    else v.setBigInt64(8 * i, BigInt(x), true);
  });
  return msg(field, [...dims.map((d) => vint(1, d)), vint(2, dataType), str(8, name), bytes(9, raw)]);
}

/** Attribute values: number (INT unless `float` is set), number[] (INTS), string (STRING). */
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] } | { tensor: Field };

function attribute(name: string, v: AttrValue): Field {
  const parts: Field[] = [str(1, name)];
  if (typeof v === 'number') parts.push(vint(20, 2), vint(3, v));
  else if (typeof v === 'string') parts.push(vint(20, 3), str(4, v));
  else if (Array.isArray(v)) parts.push(vint(20, 7), ...v.map((x) => vint(8, x)));
  else if ('float' in v) parts.push(vint(20, 1), f32(2, v.float));
  else if ('floats' in v) parts.push(vint(20, 6), ...v.floats.map((x) => f32(7, x)));
  else parts.push(vint(20, 4), v.tensor);
  return msg(5, parts);
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

function node(n: NodeSpec): Field {
  return msg(1, [
    ...n.inputs.map((i) => str(1, i)), ...n.outputs.map((o) => str(2, o)), str(3, n.name ?? n.outputs[0]!), str(4, n.op),
    ...(n.domain !== undefined ? [str(7, n.domain)] : []),
    ...Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
  ]);
}

function valueInfo(field: number, name: string, elemType: number, dims: readonly (number | string)[] | null): Field {
  const shape = dims === null ? [] : [msg(2, dims.map((d) => msg(1, [typeof d === 'number' ? vint(1, d) : str(2, d)])))];
  return msg(field, [str(1, name), msg(2, [msg(1, [vint(1, elemType), ...shape])])]);
}

export interface ModelSpec {
  opset?: number;
  domains?: Record<string, number>;
  input?: { name: string; dims: (number | string)[] | null; elemType?: number };
  outputs?: string[];
  nodes: NodeSpec[];
  initializers?: Field[];
}

/** The bytes of a ModelProto with one graph. */
export function model(spec: ModelSpec): Uint8Array {
  const input = spec.input ?? { name: 'x', dims: [1, 2, 3, 3] };
  const outputs = spec.outputs ?? [spec.nodes[spec.nodes.length - 1]!.outputs[0]!];
  const graph = msg(7, [
    ...spec.nodes.map(node), str(2, 'test'), ...(spec.initializers ?? []),
    valueInfo(11, input.name, input.elemType ?? DOUBLE, input.dims), ...outputs.map((o) => valueInfo(12, o, DOUBLE, null)),
  ]);
  const opsets = [msg(8, [str(1, ''), vint(2, spec.opset ?? 17)]), ...Object.entries(spec.domains ?? {}).map(([d, v]) => msg(8, [str(1, d), vint(2, v)]))];
  return Uint8Array.from([...vint(1, 8), ...str(2, 'camlab-test'), ...opsets.flat(), ...graph]);
}
