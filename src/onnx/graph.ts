import { shapeStr } from '../tensor/errors.js';
import { Attrs, type OnnxOp } from './op.js';
import { findOp, SUPPORTED_OPS } from './ops/index.js';
import { decodeModel, type NodeProto, type ValueInfoProto } from './proto.js';
import { decodeTensorData, isFloatType, type ExternalData, type HostValue } from './values.js';
import { onnxFail } from './errors.js';

/** The oldest default-domain opset camlab reads (attribute forms older than 11 differ: Clip, Pad, Slice, ...). */
export const MIN_OPSET = 11;

/** Inputs an operator cannot do without (the spec's required inputs); every other operator needs one. */
const REQUIRED_INPUTS: Record<string, number> = {
  Constant: 0, Add: 2, Sub: 2, Mul: 2, Div: 2, Pow: 2, Equal: 2, Greater: 2, Less: 2, Where: 3, PRelu: 2, Conv: 2,
  BatchNormalization: 5, LayerNormalization: 2, Gemm: 2, MatMul: 2, Reshape: 2, Expand: 2, Gather: 2, Slice: 3, Range: 3, Pad: 2,
};

/** A node with its operator and attribute reader. */
export interface GraphNode {
  node: NodeProto;
  op: OnnxOp;
  attrs: Attrs;
}

/** A decoded, checked ONNX graph: one image input, its outputs, initializers and nodes in topological order. */
export interface OnnxGraph {
  producer: string;
  opset: number;
  input: ValueInfoProto;
  outputs: string[];
  initializers: Map<string, HostValue>;
  nodes: GraphNode[];
}

/**
 * Decodes and checks a model: protobuf structure, opsets, every operator supported (the first
 * unsupported one is reported with its node and opset), one non-initializer input, initializers
 * decoded (external data through `external`), nodes sorted so every input is produced before use.
 */
export function readGraph(bytes: Uint8Array, external?: ExternalData): OnnxGraph {
  if (!(bytes instanceof Uint8Array)) onnxFail(`expected the file's bytes as a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  if (bytes.length === 0) onnxFail('the file is empty');
  sniff(bytes);
  const model = decodeModel(bytes);
  const g = model.graph;
  if (g === null) onnxFail(`no graph (ModelProto field 7) in ${bytes.length} bytes: not an ONNX model`);
  const opset = model.opsets.get('');
  if (opset === undefined) onnxFail('the model imports no default-domain opset (opset_import)');
  if (opset < MIN_OPSET) onnxFail(`opset ${opset} is older than ${MIN_OPSET}; re-export with torch.onnx.export(..., opset_version=17)`);
  if (g.hasSparseInitializers) onnxFail('sparse initializers are not supported');
  const initializers = new Map<string, HostValue>();
  for (const t of g.initializers) initializers.set(t.name, decodeTensorData(t, external, 'initializer'));
  const inputs = g.inputs.filter((v) => !initializers.has(v.name));
  if (inputs.length !== 1) onnxFail(`camlab runs models with one input image; this one has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ')})`);
  const input = inputs[0]!;
  if (input.elemType !== 0 && !isFloatType(input.elemType)) onnxFail(`input '${input.name}' has element type ${input.elemType}; camlab feeds floating-point images`);
  if (g.outputs.length === 0) onnxFail('the graph has no outputs');
  const nodes = g.nodes.map((node, i): GraphNode => {
    const version = node.domain === '' ? opset : model.opsets.get(node.domain) ?? 1;
    const op = findOp(node.domain, node.opType);
    const label = `'${node.name || node.outputs[0] || `#${i}`}'`;
    if (op === undefined) {
      const type = node.domain === '' ? node.opType : `${node.domain}.${node.opType}`;
      onnxFail(`unsupported operator ${type} (node ${label}, opset ${version}); camlab supports ${SUPPORTED_OPS.join(', ')}`);
    }
    for (const a of node.attributes.values()) if (a.hasGraph) onnxFail(`${node.opType} ${label}: subgraph attributes (If, Loop, Scan) are not supported`);
    const required = REQUIRED_INPUTS[node.opType] ?? 1;
    if (node.inputs.slice(0, required).filter((n) => n !== '').length < required) onnxFail(`${node.opType} ${label}: needs ${required} inputs, has ${node.inputs.filter((n) => n !== '').length}`);
    if (node.outputs.length === 0) onnxFail(`${node.opType} ${label}: has no outputs`);
    return { node, op, attrs: new Attrs(node, version) };
  });
  return { producer: model.producer, opset, input, outputs: g.outputs.map((o) => o.name), initializers, nodes: topological(nodes, new Set([input.name, ...initializers.keys()])) };
}

/** Kahn's algorithm in file order: a node runs once all its non-empty inputs exist; a cycle or a missing input is an error. */
function topological(nodes: readonly GraphNode[], known: Set<string>): GraphNode[] {
  const out: GraphNode[] = [];
  let pending = nodes.slice();
  while (pending.length > 0) {
    const next: GraphNode[] = [];
    for (const n of pending) {
      if (n.node.inputs.every((i) => i === '' || known.has(i))) {
        out.push(n);
        for (const o of n.node.outputs) if (o !== '') known.add(o);
      } else next.push(n);
    }
    if (next.length === pending.length) {
      const n = next[0]!;
      const missing = n.node.inputs.filter((i) => i !== '' && !known.has(i));
      onnxFail(`${n.attrs.label}: input '${missing[0]}' is produced by no node, initializer or graph input (or the graph has a cycle)`);
    }
    pending = next;
  }
  return out;
}

/** Recognizes files people pass by mistake and says what they are. */
function sniff(b: Uint8Array): void {
  const starts = (s: number[]): boolean => s.every((v, i) => b[i] === v);
  if (starts([0x89, 0x50, 0x4e, 0x47])) onnxFail('this is a PNG image, not an ONNX model');
  if (starts([0xff, 0xd8, 0xff])) onnxFail('this is a JPEG image, not an ONNX model');
  if (starts([0x50, 0x4b, 0x03, 0x04])) onnxFail('this is a zip archive (a PyTorch .pt/.pth checkpoint?), not an ONNX model; export it with torch.onnx.export');
  if (b[0] === 0x7b) onnxFail('this is a JSON file, not an ONNX model');
  const headerLength = b.length >= 9 ? b[0]! | (b[1]! << 8) | (b[2]! << 16) : -1;
  if (b[8] === 0x7b && b[3] === 0 && b[4] === 0 && b[5] === 0 && b[6] === 0 && b[7] === 0 && 8 + headerLength <= b.length) {
    onnxFail('this is a safetensors file (weights only), not an ONNX model');
  }
}

/** The declared input shape, with null for symbolic or missing dimensions. */
export function declaredShape(v: ValueInfoProto): Array<number | null> | null {
  return v.dims === null ? null : v.dims.map((d) => (typeof d === 'number' && d > 0 ? d : null));
}

export const fmtDims = (dims: ReadonlyArray<number | null>): string => shapeStr(dims.map((d) => (d === null ? -1 : d))).replace(/-1/g, '?');
