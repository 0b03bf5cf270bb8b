import type { DType } from '../tensor/dtype.js';
import { CamlabError, shapeStr } from '../tensor/errors.js';
import type { GraphNode, OnnxGraph } from './graph.js';
import type { ShapeArg } from './op.js';
import { host, sameHost, type HostValue } from './values.js';
import { onnxFail } from './errors.js';

/** One dimension of a run-time tensor as a function of the batch N: k·N + b. */
export interface SymDim {
  k: number;
  b: number;
}

/**
 * A load-time value that depends on the batch (shape arithmetic on Shape(t) with t carrying the
 * batch): element i is k[i]·N + b[i], N being the batch of tensor `src` when the model runs.
 */
export interface SymValue {
  dataType: number;
  shape: number[];
  k: number[];
  b: number[];
  src: string;
}

/** Where a run-time op's input comes from. */
export type Ref =
  | { kind: 'tensor'; name: string }
  | { kind: 'const'; value: HostValue }
  | { kind: 'sym'; value: SymValue }
  | { kind: 'none' };

/** A node that runs at run time, with its inputs resolved to tensors, constants or batch-dependent values. */
export interface Step {
  graphNode: GraphNode;
  inputs: Ref[];
  outputs: string[];
}

/**
 * The run-time program for one input shape: only tensor ops remain (shape arithmetic is folded),
 * with the symbolic shape of every run-time tensor, so the batch of any tensor can be read off its
 * actual shape and batch-dependent constants be filled in for it.
 */
export interface Plan {
  /** The batch the planning started from (the declared one, or 1). */
  n0: number;
  steps: Step[];
  shapes: Map<string, SymDim[]>;
  outputs: Ref[];
  /**
   * null when any batch runs at once; otherwise why the graph only runs n0 images at a time (a
   * reshape or concat with the export batch baked in): the model then runs the batch in chunks.
   */
  batchFixed: string | null;
}

/** Thrown while probing larger batches: the graph has the export batch baked in. */
class BatchFixed extends Error {}

type PVal = { dyn: number[] } | { host: HostValue };

/**
 * Plans the graph for an input of `shape` (batch first). Shapes and folded values are computed at
 * three batch sizes n0, n0+1, n0+2 in lockstep: what does not change is a constant, what changes
 * is fitted as k·N + b (and checked at the third size). If a larger batch does not fit the graph,
 * or a value is not affine in the batch, the plan is redone for n0 alone and marked batch-fixed.
 */
export function buildPlan(g: OnnxGraph, shape: readonly number[], dtype: DType): Plan {
  try {
    return probe(g, shape, dtype, [shape[0]!, shape[0]! + 1, shape[0]! + 2]);
  } catch (e) {
    if (!(e instanceof BatchFixed)) throw e;
    const plan = probe(g, shape, dtype, [shape[0]!]);
    plan.batchFixed = e.message;
    return plan;
  }
}

function probe(g: OnnxGraph, inputShape: readonly number[], dtype: DType, batches: readonly number[]): Plan {
  const envs = batches.map(() => new Map<string, PVal>());
  for (const env of envs) for (const [name, v] of g.initializers) env.set(name, { host: v });
  envs.forEach((env, p) => env.set(g.input.name, { dyn: [batches[p]!, ...inputShape.slice(1)] }));
  const shapes = new Map<string, SymDim[]>();
  shapes.set(g.input.name, fitShape(envs.map((e) => (e.get(g.input.name) as { dyn: number[] }).dyn), batches, g.input.name));
  /** For a batch-dependent folded value: the tensor whose Shape it came from. */
  const src = new Map<string, string>();
  const steps: Step[] = [];
  let label = '';
  const at = <T>(p: number, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (p > 0 && e instanceof CamlabError) throw new BatchFixed(`${e.message.replace(/^onnx: /, '')} with a batch of ${batches[p]}`);
      // A malformed node (an input of the wrong kind) must not surface as a JavaScript TypeError.
      if (e instanceof TypeError || e instanceof RangeError) onnxFail(`${label}: malformed node (${e.message})`);
      throw e;
    }
  };
  const ref = (name: string): Ref => {
    if (name === '') return { kind: 'none' };
    const v0 = envs[0]!.get(name)!;
    if ('dyn' in v0) return { kind: 'tensor', name };
    const vs = envs.map((e) => (e.get(name) as { host: HostValue }).host);
    if (vs.every((v) => sameHost(v, v0.host))) return { kind: 'const', value: v0.host };
    return { kind: 'sym', value: fitValue(vs, batches, src.get(name), name) };
  };

  for (const gn of g.nodes) {
    const { node, op, attrs } = gn;
    label = attrs.label;
    const ins = envs.map((env) => node.inputs.map((name) => (name === '' ? null : env.get(name)!)));
    const allHost = ins[0]!.every((v) => v === null || 'host' in v);
    if (op.fold !== undefined && (allHost || op.shapeOnly === true)) {
      const outs = envs.map((_, p) => at(p, () => op.fold!(ins[p]!.map((v) => (v === null ? null : 'host' in v ? v.host : shapeArg(v))) as HostValue[], attrs, dtype)));
      if (outs[0]!.length < node.outputs.length) attrs.fail(`has ${node.outputs.length} outputs; camlab computes ${outs[0]!.length}`);
      const varies = (i: number): boolean => outs.some((o) => !sameHost(o[i]!, outs[0]![i]!));
      const shapeVaries = (i: number): boolean => outs.some((o) => o[i]!.shape.join() !== outs[0]![i]!.shape.join());
      const outIdx = node.outputs.map((_, i) => i).filter((i) => node.outputs[i] !== '');
      if (!outIdx.some(shapeVaries) || op.run === undefined) {
        if (outIdx.some(shapeVaries)) throw new BatchFixed(`${attrs.label} folds to a value whose size depends on the batch`);
        const origin = op.shapeOnly === true ? node.inputs[0]! : node.inputs.map((n) => src.get(n)).find((s) => s !== undefined);
        for (const i of outIdx) {
          envs.forEach((env, p) => env.set(node.outputs[i]!, { host: outs[p]![i]! }));
          if (varies(i)) {
            if (origin === undefined) throw new BatchFixed(`${attrs.label} depends on the batch in a way camlab cannot trace`);
            src.set(node.outputs[i]!, origin);
          }
        }
        continue;
      }
      // A folded value whose shape follows the batch (Expand of a constant to [N, …]): run it.
    }
    if (op.run === undefined || op.shapes === undefined) {
      onnxFail(`${attrs.label}: computes on run-time tensors, but camlab evaluates ${node.opType} at load time only (shape arithmetic)`);
    }
    const outShapes = envs.map((_, p) => at(p, () => op.shapes!(ins[p]!.map((v) => (v === null ? null : shapeArg(v))) as ShapeArg[], attrs)));
    node.outputs.forEach((name, i) => {
      if (name === '') return;
      const s = outShapes.map((o) => o[i]);
      if (s.some((x) => x === undefined)) attrs.fail(`has ${node.outputs.length} outputs; camlab computes ${outShapes[0]!.length}`);
      if (s[0]!.some((d) => d < 1)) attrs.fail(`output '${name}' would be empty ${shapeStr(s[0]!)} (camlab has no empty tensors)`);
      envs.forEach((env, p) => env.set(name, { dyn: s[p]! }));
      shapes.set(name, fitShape(s as number[][], batches, name));
    });
    steps.push({ graphNode: gn, inputs: node.inputs.map(ref), outputs: node.outputs.slice() });
  }
  for (const o of g.outputs) if (!envs[0]!.has(o)) onnxFail(`graph output '${o}' is produced by no node`);
  return { n0: batches[0]!, steps, shapes, outputs: g.outputs.map(ref), batchFixed: null };
}

function shapeArg(v: PVal): ShapeArg {
  return 'host' in v ? { shape: v.host.shape, value: v.host } : { shape: v.dyn, value: null };
}

/** Fits each dimension across the probed batches as k·N + b (exactly affine, or the plan is batch-fixed). */
function fitShape(probes: readonly (readonly number[])[], batches: readonly number[], name: string): SymDim[] {
  const first = probes[0]!;
  if (probes.some((s) => s.length !== first.length)) throw new BatchFixed(`the rank of '${name}' changes with the batch`);
  return first.map((d0, i) => {
    if (probes.length === 1) return { k: 0, b: d0 };
    const k = probes[1]![i]! - d0; // the probed batches are n0, n0 + 1, n0 + 2
    const b = d0 - k * batches[0]!;
    if (probes[2]![i] !== d0 + 2 * k) throw new BatchFixed(`dimension ${i} of '${name}' is not affine in the batch`);
    return { k, b };
  });
}

/** Fits a batch-dependent folded value elementwise as k·N + b (N = the probed batches). */
function fitValue(vs: readonly HostValue[], batches: readonly number[], src: string | undefined, name: string): SymValue {
  if (src === undefined) throw new BatchFixed(`'${name}' depends on the batch in a way camlab cannot trace`);
  const [v0, v1, v2] = vs as [HostValue, HostValue, HostValue];
  const k: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < v0.data.length; i++) {
    const ki = v1.data[i]! - v0.data[i]!;
    const bi = v0.data[i]! - ki * batches[0]!;
    if (v2.data[i] !== ki * batches[2]! + bi || !Number.isInteger(ki)) throw new BatchFixed(`'${name}' is not affine in the batch`);
    k.push(ki);
    b.push(bi);
  }
  return { dataType: v0.dataType, shape: v0.shape.slice(), k, b, src };
}

/** The batch N of a run-time tensor, read off its actual shape through its symbolic shape (null when it carries no batch). */
export function batchOf(sym: readonly SymDim[] | undefined, shape: readonly number[]): number | null {
  if (sym === undefined) return null;
  const i = sym.findIndex((d) => d.k !== 0);
  if (i < 0) return null;
  return (shape[i]! - sym[i]!.b) / sym[i]!.k;
}

/** A symbolic shape at batch N. */
export function shapeAt(sym: readonly SymDim[], n: number): number[] {
  return sym.map((d) => d.k * n + d.b);
}

/** A batch-dependent value filled in for batch N. */
export function valueAt(v: SymValue, n: number): HostValue {
  return host(v.dataType, v.shape, v.k.map((k, i) => k * n + v.b[i]!));
}
