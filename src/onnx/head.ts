import type { Plan, Ref, Step } from './plan.js';
import { reduceAxes } from './ops/nn.js';

/** Ops that only reshape the pooled [N, K] vector on its way to the linear layer. */
const RESHAPES = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

/**
 * The classifier weight W [classes, K] (row-major) when the 4-D tensor `name` [N, K, h, w] is
 * read only by a global average pooling whose [N, K] result reaches the model's first output
 * through reshapes and one linear layer with constant weights: Gemm (Y = α·v·op(B) + β·C) or
 * MatMul (+ Add of a constant bias). That is the head CAM needs (y_c = Σ_k W[c,k]·GAP(A_k) + b_c);
 * null when the graph has anything else there, including another reader of the tensor.
 */
export function gapLinearHead(plan: Plan, name: string): { weight: Float64Array; shape: [number, number] } | null {
  const sym = plan.shapes.get(name);
  if (sym === undefined || sym.length !== 4) return null;
  const k = sym[1]!.b;
  const isTensor = (r: Ref | undefined, t: string): boolean => r?.kind === 'tensor' && r.name === t;
  const output = plan.outputs[0];
  // The single step reading tensor t (as its first input), or null.
  const soleReader = (t: string): Step | null => {
    if (plan.outputs.some((r) => isTensor(r, t))) return null;
    const readers = plan.steps.filter((s) => s.inputs.some((r) => isTensor(r, t)));
    return readers.length === 1 && isTensor(readers[0]!.inputs[0], t) ? readers[0]! : null;
  };
  const pool = soleReader(name);
  if (pool === null || !isGlobalAverage(pool)) return null;
  let cur = pool.outputs[0]!;
  let step = soleReader(cur);
  while (step !== null && RESHAPES.has(step.graphNode.node.opType)) {
    cur = step.outputs[0]!;
    step = soleReader(cur);
  }
  const v = plan.shapes.get(cur);
  if (step === null || v === undefined || v.length !== 2 || v[1]!.k !== 0 || v[1]!.b !== k) return null;
  const { node, attrs } = step.graphNode;
  const b = step.inputs[1];
  if (b?.kind !== 'const' || b.value.shape.length !== 2) return null;
  let transposed: boolean;
  let alpha = 1;
  let out = step.outputs[0]!;
  if (node.opType === 'Gemm') {
    const c = step.inputs[2];
    if (attrs.int('transA', 0) !== 0 || (c !== undefined && c.kind !== 'const' && c.kind !== 'none')) return null;
    transposed = attrs.int('transB', 0) === 1;
    alpha = attrs.float('alpha', 1);
  } else if (node.opType === 'MatMul') {
    transposed = false;
    const add = soleReader(out);
    if (add !== null && add.graphNode.node.opType === 'Add' && add.inputs[1]?.kind === 'const') out = add.outputs[0]!;
  } else return null;
  if (!isTensor(output, out)) return null;
  const [rows, cols] = b.value.shape as [number, number];
  const classes = transposed ? rows : cols;
  if ((transposed ? cols : rows) !== k) return null;
  const weight = new Float64Array(classes * k);
  for (let c = 0; c < classes; c++) {
    for (let j = 0; j < k; j++) weight[c * k + j] = alpha * b.value.data[transposed ? c * k + j : j * classes + c]!;
  }
  return { weight, shape: [classes, k] };
}

/** The op types after tensor `name`, following the first reader each time (`Relu → GlobalAveragePool → Flatten → Gemm`, at most `max` of them), for messages. */
export function opsAfter(plan: Plan, name: string, max = 5): string {
  const ops: string[] = [];
  let cur = name;
  for (;;) {
    const next = plan.steps.find((s) => s.inputs.some((r) => r.kind === 'tensor' && r.name === cur));
    if (next === undefined) break;
    if (ops.length === max) return `${ops.join(' → ')} and more`;
    ops.push(next.graphNode.node.opType);
    cur = next.outputs[0]!;
  }
  return ops.length === 0 ? 'nothing (a graph output)' : ops.join(' → ');
}

/** GlobalAveragePool, or ReduceMean over exactly the spatial axes 2 and 3 of a 4-D tensor. */
function isGlobalAverage(step: Step): boolean {
  const { node, attrs } = step.graphNode;
  if (node.opType === 'GlobalAveragePool') return true;
  if (node.opType !== 'ReduceMean') return false;
  const args = step.inputs.map((r) => (r.kind === 'const' ? r.value : null));
  const axes = reduceAxes(args, attrs, 4);
  return axes.length === 2 && axes[0] === 2 && axes[1] === 3;
}
