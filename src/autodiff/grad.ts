import { full, zeros } from '../tensor/create.js';
import { fail, shapeStr } from '../tensor/errors.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { enableGrad, noGrad } from './mode.js';
import { Node, nodeOf } from './node.js';
import { add } from './ops/elementwise.js';
import { cast } from './ops/unary.js';

export interface GradOptions {
  /** Gradients of the outputs (required for non-scalar outputs); same shapes as the outputs. */
  gradOutputs?: Tensor | readonly Tensor[];
  /** Record the backward pass so the returned gradients can be differentiated again. */
  createGraph?: boolean;
  /** Keep the graph for another backward pass (defaults to createGraph). */
  retainGraph?: boolean;
  /** What to do for an input the outputs do not depend on: throw (default) or return zeros. */
  onUnused?: 'throw' | 'zeros';
}

/**
 * Reverse-mode gradients Σ_o ∂⟨gradOutputs_o, outputs_o⟩/∂inputs_i, in the order of `inputs`.
 * Only ops on a path from an input to an output run their VJP, and each VJP is asked only for
 * the input gradients that lead to a requested input (frozen weights cost nothing; nothing below
 * an intermediate input is visited). With `createGraph` the VJPs run under grad mode, so the
 * gradients are graph tensors and `grad` can be applied to them again, to any order.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], opts: GradOptions = {}): Tensor[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const ins = inputs instanceof Tensor ? [inputs] : [...inputs];
  if (outs.length === 0) fail('grad', 'needs at least one output');
  if (ins.length === 0) fail('grad', 'needs at least one input');
  ins.forEach((t, i) => {
    if (!(t instanceof Tensor)) fail('grad', `input ${i} is not a tensor`);
    if (!t.requiresGrad) fail('grad', `input ${i} (${shapeStr(t.shape)}) does not require grad; mark it with requiresGrad() before the forward pass`);
  });
  const seeds = seedGradients(outs, opts.gradOutputs);
  const createGraph = opts.createGraph ?? false;
  const retain = opts.retainGraph ?? createGraph;
  const released: Node[] = [];
  const run = (): Map<Tensor, Tensor> => backpropagate(outs, seeds, new Set(ins), retain, released);
  const grads = createGraph ? enableGrad(run) : noGrad(run);
  return ins.map((t, i) => {
    const g = grads.get(t);
    if (g !== undefined) return g;
    if ((opts.onUnused ?? 'throw') === 'zeros') return zeros(t.shape, { dtype: t.dtype });
    return fail('grad', `input ${i} (${shapeStr(t.shape)}) is not used by the outputs; pass onUnused: 'zeros' to get zeros instead`);
  });
}

/**
 * Accumulates gradients into `.grad` of every leaf that requires grad and that the output depends
 * on (like PyTorch's backward). Non-scalar outputs need `gradOutput`.
 */
export function backward(output: Tensor, gradOutput?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
  const leaves = collectLeaves(output);
  if (leaves.length === 0) fail('backward', 'the output does not depend on any tensor that requires grad');
  const gopts: GradOptions = { createGraph: opts.createGraph ?? false, retainGraph: opts.retainGraph ?? opts.createGraph ?? false };
  if (gradOutput !== undefined) gopts.gradOutputs = gradOutput;
  const gs = grad(output, leaves, gopts);
  const accumulate = (): void => {
    leaves.forEach((leaf, i) => {
      const g = gs[i]!;
      leaf.grad = leaf.grad === null ? g : add(leaf.grad, g);
    });
  };
  if (opts.createGraph) enableGrad(accumulate);
  else noGrad(accumulate);
}

function seedGradients(outs: Tensor[], given: Tensor | readonly Tensor[] | undefined): Tensor[] {
  const list = given === undefined ? undefined : given instanceof Tensor ? [given] : [...given];
  if (list !== undefined && list.length !== outs.length) {
    fail('grad', `${list.length} gradOutputs given for ${outs.length} outputs`);
  }
  return outs.map((o, k) => {
    if (!o.requiresGrad) fail('grad', `output ${k} (${shapeStr(o.shape)}) does not require grad: it was not computed from any input that does (or was computed under noGrad)`);
    const g = list?.[k];
    if (g === undefined) {
      if (o.size !== 1) fail('grad', `output ${k} has shape ${shapeStr(o.shape)}; a non-scalar output needs gradOutputs`);
      return full(o.shape, 1, { dtype: o.dtype });
    }
    if (!sameShape(g.shape, o.shape)) fail('grad', `gradOutputs ${k} has shape ${shapeStr(g.shape)} but output ${k} has shape ${shapeStr(o.shape)}`);
    return g;
  });
}

/**
 * Whether `output`'s recorded graph reaches `input` (through tensors that require grad). When it
 * does not, every derivative of `output` with respect to `input` is 0 in this engine, at every
 * order: e.g. a gradient taken with `createGraph` through ReLU, max-pool, conv and linear layers
 * (whose VJPs hold their masks and weights as constants) does not reach the activation it was
 * taken at.
 */
export function dependsOn(output: Tensor, input: Tensor): boolean {
  const seen = new Set<Tensor>();
  const stack = [output];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x === input) return true;
    if (seen.has(x) || !x.requiresGrad) continue;
    seen.add(x);
    const node = nodeOf(x);
    if (node === null) continue;
    if (node.released) failReleased(node);
    for (const p of node.inputs) stack.push(p);
  }
  return false;
}

/** Leaves that require grad, reachable from t. */
function collectLeaves(t: Tensor): Tensor[] {
  const out: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack = [t];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    const node = nodeOf(x);
    if (node === null) {
      if (x.requiresGrad) out.push(x);
      continue;
    }
    if (node.released) failReleased(node);
    for (const p of node.inputs) if (p.requiresGrad) stack.push(p);
  }
  return out;
}

function failReleased(node: Node): never {
  return fail('grad', `the graph through '${node.op}' was released by an earlier backward pass; pass retainGraph: true to the first call to differentiate it again`);
}

/**
 * The backward pass proper: a topological order of the tensors on paths from the targets to the
 * outputs, then one VJP per node in reverse order, accumulating gradients per tensor.
 */
function backpropagate(outs: Tensor[], seeds: Tensor[], targets: Set<Tensor>, retain: boolean, released: Node[]): Map<Tensor, Tensor> {
  // With a single target nothing below it can lead to it, so the walk stops there.
  const stop = targets.size === 1 ? [...targets][0]! : null;
  const order = topoOrder(outs, released, stop);
  // A released node has dropped its inputs, so whether it led to a target is unknown: continuing
  // would silently return a partial gradient (the paths through it would just be missing).
  if (released.length > 0) failReleased(released[0]!);
  // leads(t): t is a target or one of its graph inputs leads to a target.
  const leads = new Set<Tensor>();
  for (const t of order) {
    if (targets.has(t)) {
      leads.add(t);
      continue;
    }
    const node = nodeOf(t);
    if (node !== null && node.inputs.some((p) => leads.has(p))) leads.add(t);
  }
  const grads = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor): void => {
    const prev = grads.get(t);
    grads.set(t, prev === undefined ? g : add(prev, g));
  };
  // The differentiable cast (a no-op for equal dtypes), so that with createGraph the gradients
  // stay functions of gradOutputs that require grad (as gradgradcheck's random v do).
  outs.forEach((o, k) => {
    if (leads.has(o)) accumulate(o, cast(seeds[k]!, o.dtype));
  });
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const node = nodeOf(t);
    if (node === null || !leads.has(t)) continue;
    const g = grads.get(t);
    if (g === undefined) continue;
    const inputs = node.inputs;
    const needs = inputs.map((p) => leads.has(p));
    if (!needs.some((n) => n)) continue;
    const vjp = node.vjp;
    if (vjp === null) failReleased(node);
    const inGrads = vjp(g, needs);
    if (!retain) node.release();
    inputs.forEach((p, k) => {
      const gk = inGrads[k];
      if (!needs[k] || gk === null || gk === undefined) return;
      if (!sameShape(gk.shape, p.shape)) {
        fail('grad', `internal: VJP of '${node.op}' returned a gradient of shape ${shapeStr(gk.shape)} for input ${k} of shape ${shapeStr(p.shape)}`);
      }
      accumulate(p, cast(gk, p.dtype));
    });
    // Free the gradient of a tensor that is not a requested input once it has been propagated.
    if (!targets.has(t)) grads.delete(t);
  }
  return grads;
}

/**
 * Iterative post-order DFS over tensors that require grad: inputs come before their users.
 * Released nodes (their inputs dropped) are collected so the caller can refuse to go on. The
 * walk does not descend below `stop` (the only target, when there is one).
 */
function topoOrder(outs: Tensor[], released: Node[], stop: Tensor | null): Tensor[] {
  const order: Tensor[] = [];
  const state = new Map<Tensor, 1 | 2>(); // 1 = on stack, 2 = done
  for (const root of outs) {
    if (state.has(root)) continue;
    const stack: Array<{ t: Tensor; next: number }> = [{ t: root, next: 0 }];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const node = top.t === stop ? null : nodeOf(top.t);
      if (node !== null && node.released && top.next === 0) released.push(node);
      const inputs = node?.inputs ?? [];
      if (top.next < inputs.length) {
        const p = inputs[top.next++]!;
        if (p.requiresGrad && !state.has(p)) {
          state.set(p, 1);
          stack.push({ t: p, next: 0 });
        }
      } else {
        state.set(top.t, 2);
        order.push(top.t);
        stack.pop();
      }
    }
  }
  return order;
}
