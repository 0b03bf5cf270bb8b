import { fail } from '../tensor/errors.js';
import { Tensor, type GradNode } from '../tensor/tensor.js';
import { isGradEnabled } from './mode.js';

/**
 * Vector-Jacobian product of one op: given the gradient g of the output, the gradient of each
 * input whose `needs` flag is set (null otherwise). Written in differentiable ops, so when the
 * backward pass records a graph the result can be differentiated again.
 */
export type Vjp = (g: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[];

/** A recorded op: its name, the live input tensors (the saved values), and its VJP. */
export class Node implements GradNode {
  readonly op: string;
  inputs: readonly Tensor[];
  vjp: Vjp | null;

  constructor(op: string, inputs: readonly Tensor[], vjp: Vjp) {
    this.op = op;
    this.inputs = inputs;
    this.vjp = vjp;
  }

  get released(): boolean {
    return this.vjp === null;
  }

  /** Drops the saved tensors and the VJP closure so the graph can be collected. */
  release(): void {
    this.vjp = null;
    this.inputs = [];
  }
}

/** The autodiff node that produced t, or null for a leaf or a constant. */
export function nodeOf(t: Tensor): Node | null {
  return t.node instanceof Node ? t.node : null;
}

/**
 * Attaches a graph node to `out` when grad mode is on and any input requires grad.
 * Returns `out` for chaining.
 */
export function record(op: string, out: Tensor, inputs: readonly Tensor[], vjp: Vjp): Tensor {
  if (!isGradEnabled()) return out;
  let any = false;
  for (const t of inputs) if (t.requiresGrad) any = true;
  if (!any) return out;
  out.requiresGrad = true;
  out.node = new Node(op, inputs, vjp);
  return out;
}

/** Marks a leaf tensor as requiring grad (in place) and returns it. */
export function requiresGrad(t: Tensor, flag = true): Tensor {
  if (t.node !== null) fail('requiresGrad', `only leaf tensors can be marked; this one was computed by '${t.node.op}' (use detach() first)`);
  t.requiresGrad = flag;
  return t;
}

/** The same values, cut from the graph: a leaf that does not require grad. Shares storage. */
export function detach(t: Tensor): Tensor {
  return new Tensor(t.data, t.shape);
}
