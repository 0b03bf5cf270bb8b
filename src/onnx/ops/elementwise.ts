import * as E from '../../autodiff/ops/elementwise.js';
import * as U from '../../autodiff/ops/unary.js';
import * as K from '../../tensor/elementwise.js';
import type { DType } from '../../tensor/dtype.js';
import { CamlabError } from '../../tensor/errors.js';
import { broadcastShapes } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { broadcastMap, rounder } from '../indexmaps.js';
import { type Attrs, type OnnxOp, type RunArg, type RunContext, type ShapeArg } from '../op.js';
import { DT, host, isFloatType, type HostValue } from '../values.js';

/** NumPy broadcasting of every input's shape, failing with the node's name. */
export function broadcastAll(shapes: readonly (readonly number[])[], a: Attrs): number[] {
  try {
    return shapes.reduce<number[]>((acc, s) => broadcastShapes('broadcast', acc, s), []);
  } catch (e) {
    if (e instanceof CamlabError) a.fail(e.message.replace(/^broadcast: /, ''));
    throw e;
  }
}

const broadcastShape = (ins: readonly ShapeArg[], a: Attrs): number[][] => [broadcastAll(ins.map((s) => s.shape), a)];
const sameShape = (ins: readonly ShapeArg[]): number[][] => [ins[0]!.shape.slice()];

/** f applied elementwise to broadcast host values, the result of type `outType` rounded as the model computes. */
export function foldElementwise(ins: readonly HostValue[], a: Attrs, dtype: DType, outType: number, f: (...x: number[]) => number): HostValue {
  const shape = broadcastAll(ins.map((v) => v.shape), a);
  const maps = ins.map((v) => broadcastMap(v.shape, shape));
  const round = rounder(outType, dtype);
  const out = maps[0]!.map((_, k) => round(f(...ins.map((v, j) => v.data[maps[j]![k]!]!))));
  return host(outType, shape, out);
}

/** A binary arithmetic op: run with the differentiable op, fold with its scalar formula. */
function arithmetic(run: (x: Tensor, y: Tensor) => Tensor, scalar: (x: number, y: number) => number): OnnxOp {
  return {
    shapes: broadcastShape,
    run: (ins, _a, ctx) => [run(ctx.tensor(ins[0]!, 'A'), ctx.tensor(ins[1]!, 'B'))],
    fold: (ins, a, dtype) => [foldElementwise(ins, a, dtype, ins[0]!.dataType, scalar)],
  };
}

/** A comparison, folded only (camlab tensors are floating point; these feed shape arithmetic). */
function comparison(f: (x: number, y: number) => boolean): OnnxOp {
  return { fold: (ins, a, dtype) => [foldElementwise(ins, a, dtype, DT.BOOL, (x, y) => (f(x, y) ? 1 : 0))] };
}

/** A unary op on the first input; `fold` too when it also appears in shape arithmetic. */
function unary(run: (x: Tensor, a: Attrs, ctx: RunContext) => Tensor, scalar?: (x: number) => number): OnnxOp {
  const op: OnnxOp = { shapes: sameShape, run: (ins, a, ctx) => [run(ctx.tensor(ins[0]!, 'X'), a, ctx)] };
  if (scalar !== undefined) op.fold = (ins, a, dtype) => [foldElementwise([ins[0]!], a, dtype, ins[0]!.dataType, scalar)];
  return op;
}

/** lo ≤ x ≤ hi as PyTorch's clamp: gradient 1 inside the closed interval, 0 outside (constant masks). */
function clamp(x: Tensor, lo: number | null, hi: number | null): Tensor {
  let y = x;
  if (lo !== null) y = E.where(K.lt(x, lo), lo, y);
  if (hi !== null) y = E.where(K.gt(x, hi), hi, y);
  return y;
}

/** HardSigmoid: max(0, min(1, α·x + β)). */
function hardSigmoid(x: Tensor, alpha: number, beta: number): Tensor {
  return clamp(E.add(E.mul(x, alpha), beta), 0, 1);
}

/** One scalar bound of Clip from an optional input (opset 11+: min and max are inputs, '' when absent). */
function bound(v: RunArg, ctx: RunContext, a: Attrs, what: string): number | null {
  if (v === null) return null;
  const t = ctx.tensor(v, what);
  if (t.size !== 1) a.fail(`${what} must be a scalar, got ${t.size} values`);
  return t.data[0]!;
}

const SQRT_2_OVER_PI = 0.7978845608028654;

/** PyTorch exports hardsigmoid's 1/6 as a float32 attribute; read it back as 1/6 (float64 models compute x/6 + 1/2 as PyTorch does). */
const sixth = (alpha: number): number => (Math.fround(alpha) === Math.fround(1 / 6) ? 1 / 6 : alpha);

export const ELEMENTWISE_OPS: Record<string, OnnxOp> = {
  Add: arithmetic(E.add, (x, y) => x + y),
  Sub: arithmetic(E.sub, (x, y) => x - y),
  Mul: arithmetic(E.mul, (x, y) => x * y),
  Div: arithmetic(E.div, (x, y) => x / y),
  Pow: arithmetic(E.pow, (x, y) => x ** y),
  Equal: comparison((x, y) => x === y),
  Greater: comparison((x, y) => x > y),
  Less: comparison((x, y) => x < y),
  Not: { fold: (ins, a, dtype) => [foldElementwise(ins, a, dtype, DT.BOOL, (x) => (x ? 0 : 1))] },
  /** Where(cond, X, Y): cond must be known at load (a mask); the gradient flows to the chosen side. */
  Where: {
    shapes: broadcastShape,
    run: (ins, a, ctx) => {
      const cond = ins[0];
      if (cond === null || cond === undefined || !('dataType' in cond)) a.fail('the condition is computed at run time; camlab supports Where with a load-time condition');
      const mask = ctx.tensor(cond!, 'condition');
      return [E.where(mask, ctx.tensor(ins[1]!, 'X'), ctx.tensor(ins[2]!, 'Y'))];
    },
    fold: (ins, a, dtype) => [foldElementwise(ins, a, dtype, ins[1]!.dataType, (c, x, y) => (c ? x : y))],
  },
  Relu: unary((x) => U.relu(x)),
  Sigmoid: unary((x) => U.sigmoid(x)),
  Tanh: unary((x) => U.tanh(x)),
  Erf: unary((x) => U.erf(x)),
  Sqrt: unary((x) => U.sqrt(x), Math.sqrt),
  Neg: unary((x) => U.neg(x), (x) => -x),
  Abs: unary((x) => U.abs(x), Math.abs),
  Floor: { fold: (ins, a, dtype) => [foldElementwise(ins, a, dtype, ins[0]!.dataType, Math.floor)] },
  Ceil: { fold: (ins, a, dtype) => [foldElementwise(ins, a, dtype, ins[0]!.dataType, Math.ceil)] },
  /** LeakyRelu: x if x > 0 else α·x, α = 0.01 by default (spec). */
  LeakyRelu: unary((x, a) => E.where(K.gt(x, 0), x, E.mul(x, a.float('alpha', 0.01)))),
  /** PRelu: x if x > 0 else slope·x, slope broadcast to x (unidirectional). */
  PRelu: {
    shapes: (ins, a) => [broadcastAll([ins[0]!.shape, ins[1]!.shape], a)],
    run: (ins, _a, ctx) => {
      const x = ctx.tensor(ins[0]!, 'X');
      return [E.where(K.gt(x, 0), x, E.mul(x, ctx.tensor(ins[1]!, 'slope')))];
    },
  },
  /** Clip (opset 11+): min and max are optional scalar inputs; a missing bound is ±∞. */
  Clip: {
    shapes: sameShape,
    run: (ins, a, ctx) => {
      if (a.opset < 11) a.fail('Clip before opset 11 (min/max attributes) is not supported; export with opset 11 or newer');
      return [clamp(ctx.tensor(ins[0]!, 'input'), bound(ins[1] ?? null, ctx, a, 'min'), bound(ins[2] ?? null, ctx, a, 'max'))];
    },
  },
  /** HardSigmoid: max(0, min(1, α·x + β)), α = 0.2, β = 0.5 by default (spec; PyTorch exports α = 1/6). */
  HardSigmoid: unary((x, a) => hardSigmoid(x, sixth(a.float('alpha', 0.2)), a.float('beta', 0.5))),
  /** HardSwish (opset 14): x · max(0, min(1, x/6 + 1/2)). */
  HardSwish: unary((x) => E.mul(x, hardSigmoid(x, 1 / 6, 0.5))),
  /**
   * Gelu (opset 20; also com.microsoft): approximate 'none' is x·Φ(x) = x/2·(1 + erf(x/√2));
   * 'tanh' is x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
   */
  Gelu: unary((x, a) => {
    const mode = a.string('approximate', 'none');
    if (mode === 'none') return U.gelu(x);
    if (mode !== 'tanh') a.fail(`approximate must be 'none' or 'tanh', got '${mode}'`);
    const inner = E.mul(E.add(x, E.mul(E.mul(U.square(x), x), 0.044715)), SQRT_2_OVER_PI);
    return E.mul(E.mul(x, 0.5), E.add(U.tanh(inner), 1));
  }),
  Identity: { shapes: sameShape, run: (ins, _a, ctx) => [ctx.tensor(ins[0]!, 'input')], fold: (ins) => [ins[0]!] },
  /** Dropout at inference is the identity; its optional mask output is not supported. */
  Dropout: {
    shapes: (ins, a) => {
      if (a.node.outputs.length > 1 && a.node.outputs[1] !== '') a.fail('the mask output is not supported (inference only)');
      return [ins[0]!.shape.slice()];
    },
    run: (ins, a, ctx) => {
      const training = ins[2];
      if (training !== null && training !== undefined && ctx.tensor(training, 'training_mode').data[0]) a.fail('training_mode = true is not supported (inference only)');
      return [ctx.tensor(ins[0]!, 'data')];
    },
  },
  /**
   * Cast: floating-point to floating-point is the identity on camlab tensors (they are all of the
   * model's dtype); integer and boolean casts fold at load.
   */
  Cast: {
    shapes: sameShape,
    run: (ins, a, ctx) => {
      if (!isFloatType(a.int('to', 0))) a.fail(`casting a run-time tensor to a non-float type (${a.int('to', 0)}) is not supported`);
      return [ctx.tensor(ins[0]!, 'input')];
    },
    fold: (ins, a, dtype) => {
      const to = a.int('to', 0);
      return [foldElementwise([ins[0]!], a, dtype, to, (x) => x)];
    },
  },
};
