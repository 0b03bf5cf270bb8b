import { ProtoReader } from './protobuf.js';

/**
 * The parts of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto) that a feed-forward classifier
 * uses, decoded from the wire format by {@link ProtoReader}. Field numbers are onnx.proto's.
 * Fields camlab does not use (doc strings, metadata, training info, functions) are skipped.
 */
export interface TensorProto {
  name: string;
  dims: number[];
  /** TensorProto.DataType: 1 FLOAT, 6 INT32, 7 INT64, 9 BOOL, 10 FLOAT16, 11 DOUBLE, 16 BFLOAT16, ... */
  dataType: number;
  raw: Uint8Array | null;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  uint64Data: number[];
  /** external_data key/value pairs (location, offset, length) when data_location = EXTERNAL. */
  external: Map<string, string> | null;
  /** Byte offset of the message in the file, for error messages. */
  at: number;
}

/** AttributeProto.AttributeType values camlab reads. */
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface AttributeProto {
  name: string;
  type: number;
  f: number;
  i: number;
  s: string;
  t: TensorProto | null;
  floats: number[];
  ints: number[];
  strings: string[];
  hasGraph: boolean;
}

export interface NodeProto {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, AttributeProto>;
}

/** A graph input or output: its name, element type and shape (a number, a symbolic name, or null per dimension). */
export interface ValueInfoProto {
  name: string;
  elemType: number;
  dims: Array<number | string | null> | null;
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  hasSparseInitializers: boolean;
}

export interface ModelProto {
  irVersion: number;
  producer: string;
  /** Operator set version per domain ('' is the default ONNX domain). */
  opsets: Map<string, number>;
  graph: GraphProto | null;
}

/** Decodes ModelProto bytes (a .onnx file). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const r = new ProtoReader(bytes, 'ModelProto');
  const m: ModelProto = { irVersion: 0, producer: '', opsets: new Map(), graph: null };
  let producerName = '';
  let producerVersion = '';
  while (!r.done) {
    const { field, wire, at } = r.tag();
    switch (field) {
      case 1: r.expectWire(wire, 0, 'ModelProto.ir_version', at); m.irVersion = r.varint(); break;
      case 2: r.expectWire(wire, 2, 'ModelProto.producer_name', at); producerName = r.string('ModelProto.producer_name'); break;
      case 3: r.expectWire(wire, 2, 'ModelProto.producer_version', at); producerVersion = r.string('ModelProto.producer_version'); break;
      case 7: r.expectWire(wire, 2, 'ModelProto.graph', at); m.graph = decodeGraph(r.message('ModelProto.graph')); break;
      case 8: {
        r.expectWire(wire, 2, 'ModelProto.opset_import', at);
        const o = decodeOpset(r.message('ModelProto.opset_import'));
        m.opsets.set(o.domain, o.version);
        break;
      }
      default: r.skip(wire, field);
    }
  }
  m.producer = `${producerName} ${producerVersion}`.trim();
  return m;
}

function decodeOpset(r: ProtoReader): { domain: string; version: number } {
  let domain = '';
  let version = 0;
  while (!r.done) {
    const { field, wire, at } = r.tag();
    if (field === 1) { r.expectWire(wire, 2, 'OperatorSetIdProto.domain', at); domain = r.string('OperatorSetIdProto.domain'); }
    else if (field === 2) { r.expectWire(wire, 0, 'OperatorSetIdProto.version', at); version = r.varint(); }
    else r.skip(wire, field);
  }
  // 'ai.onnx' is the default domain's long name.
  return { domain: domain === 'ai.onnx' ? '' : domain, version };
}

function decodeGraph(r: ProtoReader): GraphProto {
  const g: GraphProto = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], hasSparseInitializers: false };
  while (!r.done) {
    const { field, wire, at } = r.tag();
    switch (field) {
      case 1: r.expectWire(wire, 2, 'GraphProto.node', at); g.nodes.push(decodeNode(r.message(`GraphProto.node[${g.nodes.length}]`))); break;
      case 2: r.expectWire(wire, 2, 'GraphProto.name', at); g.name = r.string('GraphProto.name'); break;
      case 5: r.expectWire(wire, 2, 'GraphProto.initializer', at); g.initializers.push(decodeTensor(r.message(`GraphProto.initializer[${g.initializers.length}]`))); break;
      case 11: r.expectWire(wire, 2, 'GraphProto.input', at); g.inputs.push(decodeValueInfo(r.message('GraphProto.input'))); break;
      case 12: r.expectWire(wire, 2, 'GraphProto.output', at); g.outputs.push(decodeValueInfo(r.message('GraphProto.output'))); break;
      case 15: r.skip(wire, field); g.hasSparseInitializers = true; break;
      default: r.skip(wire, field);
    }
  }
  return g;
}

function decodeNode(r: ProtoReader): NodeProto {
  const n: NodeProto = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  while (!r.done) {
    const { field, wire, at } = r.tag();
    switch (field) {
      case 1: r.expectWire(wire, 2, 'NodeProto.input', at); n.inputs.push(r.string('NodeProto.input')); break;
      case 2: r.expectWire(wire, 2, 'NodeProto.output', at); n.outputs.push(r.string('NodeProto.output')); break;
      case 3: r.expectWire(wire, 2, 'NodeProto.name', at); n.name = r.string('NodeProto.name'); break;
      case 4: r.expectWire(wire, 2, 'NodeProto.op_type', at); n.opType = r.string('NodeProto.op_type'); break;
      case 5: {
        r.expectWire(wire, 2, 'NodeProto.attribute', at);
        const a = decodeAttribute(r.message('NodeProto.attribute'));
        n.attributes.set(a.name, a);
        break;
      }
      case 7: r.expectWire(wire, 2, 'NodeProto.domain', at); n.domain = r.string('NodeProto.domain'); break;
      default: r.skip(wire, field);
    }
  }
  if (n.domain === 'ai.onnx') n.domain = '';
  return n;
}

const readFloat = (r: ProtoReader): number => r.float32();
const readVarint = (r: ProtoReader): number => r.varint();
const readDouble = (r: ProtoReader): number => r.float64();

function decodeAttribute(r: ProtoReader): AttributeProto {
  const a: AttributeProto = { name: '', type: 0, f: 0, i: 0, s: '', t: null, floats: [], ints: [], strings: [], hasGraph: false };
  while (!r.done) {
    const { field, wire, at } = r.tag();
    switch (field) {
      case 1: r.expectWire(wire, 2, 'AttributeProto.name', at); a.name = r.string('AttributeProto.name'); break;
      case 20: r.expectWire(wire, 0, 'AttributeProto.type', at); a.type = r.varint(); break;
      case 2: r.expectWire(wire, 5, 'AttributeProto.f', at); a.f = r.float32(); break;
      case 3: r.expectWire(wire, 0, 'AttributeProto.i', at); a.i = r.varint(); break;
      case 4: r.expectWire(wire, 2, 'AttributeProto.s', at); a.s = r.string('AttributeProto.s'); break;
      case 5: r.expectWire(wire, 2, 'AttributeProto.t', at); a.t = decodeTensor(r.message('AttributeProto.t')); break;
      case 6: r.skip(wire, field); a.hasGraph = true; break;
      case 7: r.repeated(wire, 5, 'AttributeProto.floats', readFloat, a.floats); break;
      case 8: r.repeated(wire, 0, 'AttributeProto.ints', readVarint, a.ints); break;
      case 9: r.expectWire(wire, 2, 'AttributeProto.strings', at); a.strings.push(r.string('AttributeProto.strings')); break;
      default: r.skip(wire, field);
    }
  }
  return a;
}

function decodeTensor(r: ProtoReader): TensorProto {
  const t: TensorProto = {
    name: '', dims: [], dataType: 0, raw: null, floatData: [], int32Data: [], int64Data: [], doubleData: [], uint64Data: [],
    external: null, at: r.pos,
  };
  let location = 0;
  const external = new Map<string, string>();
  while (!r.done) {
    const { field, wire, at } = r.tag();
    switch (field) {
      case 1: r.repeated(wire, 0, 'TensorProto.dims', readVarint, t.dims); break;
      case 2: r.expectWire(wire, 0, 'TensorProto.data_type', at); t.dataType = r.varint(); break;
      case 4: r.repeated(wire, 5, 'TensorProto.float_data', readFloat, t.floatData); break;
      case 5: r.repeated(wire, 0, 'TensorProto.int32_data', readVarint, t.int32Data); break;
      case 7: r.repeated(wire, 0, 'TensorProto.int64_data', readVarint, t.int64Data); break;
      case 8: r.expectWire(wire, 2, 'TensorProto.name', at); t.name = r.string('TensorProto.name'); break;
      case 9: r.expectWire(wire, 2, 'TensorProto.raw_data', at); t.raw = r.bytesField('TensorProto.raw_data'); break;
      case 10: r.repeated(wire, 1, 'TensorProto.double_data', readDouble, t.doubleData); break;
      case 11: r.repeated(wire, 0, 'TensorProto.uint64_data', readVarint, t.uint64Data); break;
      case 13: {
        r.expectWire(wire, 2, 'TensorProto.external_data', at);
        const [k, v] = decodeEntry(r.message('TensorProto.external_data'));
        external.set(k, v);
        break;
      }
      case 14: r.expectWire(wire, 0, 'TensorProto.data_location', at); location = r.varint(); break;
      default: r.skip(wire, field);
    }
  }
  if (location === 1) t.external = external;
  return t;
}

function decodeEntry(r: ProtoReader): [string, string] {
  let key = '';
  let value = '';
  while (!r.done) {
    const { field, wire, at } = r.tag();
    if (field === 1) { r.expectWire(wire, 2, 'StringStringEntryProto.key', at); key = r.string('StringStringEntryProto.key'); }
    else if (field === 2) { r.expectWire(wire, 2, 'StringStringEntryProto.value', at); value = r.string('StringStringEntryProto.value'); }
    else r.skip(wire, field);
  }
  return [key, value];
}

function decodeValueInfo(r: ProtoReader): ValueInfoProto {
  const v: ValueInfoProto = { name: '', elemType: 0, dims: null };
  while (!r.done) {
    const { field, wire, at } = r.tag();
    if (field === 1) { r.expectWire(wire, 2, 'ValueInfoProto.name', at); v.name = r.string('ValueInfoProto.name'); }
    else if (field === 2) { r.expectWire(wire, 2, 'ValueInfoProto.type', at); decodeType(r.message('TypeProto'), v); }
    else r.skip(wire, field);
  }
  return v;
}

/** TypeProto.tensor_type (1) → elem_type (1) and shape (2) → dim (1) → dim_value (1) | dim_param (2). */
function decodeType(r: ProtoReader, v: ValueInfoProto): void {
  while (!r.done) {
    const { field, wire, at } = r.tag();
    if (field !== 1) { r.skip(wire, field); continue; }
    r.expectWire(wire, 2, 'TypeProto.tensor_type', at);
    const tt = r.message('TypeProto.tensor_type');
    while (!tt.done) {
      const f = tt.tag();
      if (f.field === 1) { tt.expectWire(f.wire, 0, 'TypeProto.Tensor.elem_type', f.at); v.elemType = tt.varint(); }
      else if (f.field === 2) {
        tt.expectWire(f.wire, 2, 'TypeProto.Tensor.shape', f.at);
        const shape = tt.message('TensorShapeProto');
        v.dims = [];
        while (!shape.done) {
          const d = shape.tag();
          if (d.field !== 1) { shape.skip(d.wire, d.field); continue; }
          shape.expectWire(d.wire, 2, 'TensorShapeProto.dim', d.at);
          const dim = shape.message('TensorShapeProto.dim');
          let value: number | string | null = null;
          while (!dim.done) {
            const e = dim.tag();
            if (e.field === 1) { dim.expectWire(e.wire, 0, 'Dimension.dim_value', e.at); value = dim.varint(); }
            else if (e.field === 2) { dim.expectWire(e.wire, 2, 'Dimension.dim_param', e.at); value = dim.string('Dimension.dim_param'); }
            else dim.skip(e.wire, e.field);
          }
          v.dims.push(value);
        }
      } else tt.skip(f.wire, f.field);
    }
  }
}
