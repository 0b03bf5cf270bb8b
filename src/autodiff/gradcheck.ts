import { clone, zeros } from '../tensor/create.js';
import { CamlabError, fail, shapeStr } from '../tensor/errors.js';
import { Rng } from '../tensor/rng.js';
import { stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { grad } from './grad.js';
import { enableGrad } from './mode.js';
import { requiresGrad } from './node.js';

export type CheckedFunction = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

export interface GradcheckOptions {
  /** Central-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, against the numeric value (default 1e-3). */
  rtol?: number;
  /** 'full' compares whole Jacobians; 'random' compares seeded random projections vᵀJu; 'auto' picks full for small inputs. */
  mode?: 'auto' | 'full' | 'random';
  /** Number of random directions per input in 'random' mode (default 3). */
  directions?: number;
  /** Seed for the random directions and the random grad-outputs of higher orders (default 0). */
  seed?: number;
  /** 'auto' uses the full Jacobian when inputs and outputs have at most this many elements (default 64). */
  fullLimit?: number;
  /** Permit float32 inputs (finite differences then need much looser tolerances). */
  allowFloat32?: boolean;
}

export interface GradcheckReport {
  order: number;
  mode: 'full' | 'random';
  /** Number of scalar comparisons made. */
  checks: number;
  maxAbsError: number;
  /** Largest |analytic − numeric| / max(|numeric|, atol): entries at the atol noise floor count absolutely. */
  maxRelError: number;
}

/** Thrown when analytic and numeric derivatives disagree; names the worst element. */
export class GradcheckError extends CamlabError {
  readonly analytic: number;
  readonly numeric: number;
  constructor(op: string, message: string, analytic: number, numeric: number) {
    super(op, message);
    this.name = 'GradcheckError';
    this.analytic = analytic;
    this.numeric = numeric;
  }
}

/**
 * First-order check: the reverse-mode gradient of f against central finite differences
 * (f(x + εe) − f(x − εe)) / 2ε, as a full Jacobian or as random projections vᵀJu.
 */
export function gradcheck(f: CheckedFunction, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckReport {
  return gradcheckOrder(f, inputs, 1, opts);
}

/** Second-order check (PyTorch's gradgradcheck): gradcheck of x, v ↦ ∂⟨v, f(x)⟩/∂x built with createGraph. */
export function gradgradcheck(f: CheckedFunction, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckReport {
  return gradcheckOrder(f, inputs, 2, opts);
}

/** Third-order check: gradcheck of the second-order gradient function. */
export function thirdOrderGradcheck(f: CheckedFunction, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckReport {
  return gradcheckOrder(f, inputs, 3, opts);
}

/**
 * Order-n check. For n > 1 the function checked is the (n−1)-th gradient function
 * F(x, v₁, …) = ∂⟨v, F_prev(x, …)⟩/∂(x, …), built with createGraph, with seeded random
 * grad-outputs v as extra inputs. The numeric side finite-differences that gradient function —
 * never a finite difference of a finite difference.
 */
export function gradcheckOrder(f: CheckedFunction, inputs: readonly Tensor[], order: number, opts: GradcheckOptions = {}): GradcheckReport {
  const op = order === 1 ? 'gradcheck' : order === 2 ? 'gradgradcheck' : `gradcheck(order ${order})`;
  if (!Number.isInteger(order) || order < 1) fail(op, `order must be a positive integer, got ${order}`);
  if (inputs.length === 0) fail(op, 'needs at least one input');
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) fail(op, `input ${i} is not a tensor`);
    if (x.dtype !== 'float64' && !opts.allowFloat32) {
      fail(op, `input ${i} ${shapeStr(x.shape)} is float32; finite differences need float64 (cast it, or pass allowFloat32 with looser tolerances)`);
    }
  });
  const rng = new Rng(opts.seed ?? 0);
  let fn = (xs: Tensor[]): Tensor[] => asList(f(...xs));
  let args = inputs.map((x) => x);
  for (let k = 1; k < order; k++) {
    const prev = fn;
    const nPrev = args.length;
    const outs0 = enableGrad(() => prev(args.map(leafCopy)));
    const vs = outs0.map((o) => randomLike(o, rng));
    fn = (xs: Tensor[]): Tensor[] => {
      const base = xs.slice(0, nPrev);
      return vjp(prev(base), xs.slice(nPrev), base, { createGraph: true });
    };
    args = [...args, ...vs];
  }
  return checkFunction(op, order, fn, args, rng, opts);
}

/** ∂⟨vs, outs⟩/∂wrt, with zeros for an output that is constant or an input that is unused. */
function vjp(outs: readonly Tensor[], vs: readonly Tensor[], wrt: Tensor[], opts: { createGraph?: boolean; retainGraph?: boolean }): Tensor[] {
  const live = outs.map((o, i) => [o, vs[i]!] as const).filter(([o]) => o.requiresGrad);
  if (live.length === 0) return wrt.map((x) => zeros(x.shape, { dtype: x.dtype }));
  return grad(live.map(([o]) => o), wrt, { ...opts, gradOutputs: live.map(([, v]) => v), onUnused: 'zeros' });
}

function asList(r: Tensor | readonly Tensor[]): Tensor[] {
  return r instanceof Tensor ? [r] : [...r];
}

function leafCopy(x: Tensor): Tensor {
  return requiresGrad(clone(x));
}

function randomLike(x: Tensor, rng: Rng): Tensor {
  const t = zeros(x.shape, { dtype: x.dtype });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

interface Tolerance {
  eps: number;
  atol: number;
  rtol: number;
}

class Stats {
  checks = 0;
  maxAbs = 0;
  maxRel = 0;
  /** Denominator floor of the relative error: a numeric 1e-12 for an exact 0 is noise, not a 100% error. */
  readonly floor: number;
  constructor(floor: number) {
    this.floor = floor;
  }
  add(analytic: number, numeric: number): void {
    const abs = Math.abs(analytic - numeric);
    this.checks++;
    if (abs > this.maxAbs || Number.isNaN(abs)) this.maxAbs = abs;
    const rel = abs / Math.max(Math.abs(numeric), this.floor, 1e-300);
    if (abs > 0 && (rel > this.maxRel || Number.isNaN(rel))) this.maxRel = rel;
  }
}

/** The largest |analytic − numeric| accepted: atol + rtol·|numeric|. */
function allowed(tol: Tolerance, numeric: number): number {
  return tol.atol + tol.rtol * Math.abs(numeric);
}

function within(tol: Tolerance, analytic: number, numeric: number): boolean {
  return Math.abs(analytic - numeric) <= allowed(tol, numeric);
}

function checkFunction(op: string, order: number, fn: (xs: Tensor[]) => Tensor[], args: Tensor[], rng: Rng, opts: GradcheckOptions): GradcheckReport {
  const tol: Tolerance = { eps: opts.eps ?? 1e-6, atol: opts.atol ?? 1e-5, rtol: opts.rtol ?? 1e-3 };
  const leaves = args.map(leafCopy);
  const outs = enableGrad(() => fn(leaves));
  const inSize = args.reduce((s, x) => s + x.size, 0);
  const outSize = outs.reduce((s, o) => s + o.size, 0);
  const limit = opts.fullLimit ?? 64;
  const mode = opts.mode === undefined || opts.mode === 'auto' ? (inSize <= limit && outSize <= limit ? 'full' : 'random') : opts.mode;
  const stats = new Stats(tol.atol);
  const ctx = { op, order, fn, args, outs, leaves, tol, stats };
  if (mode === 'full') checkFull(ctx);
  else checkRandom(ctx, rng, opts.directions ?? 3);
  return { order, mode, checks: stats.checks, maxAbsError: stats.maxAbs, maxRelError: stats.maxRel };
}

interface Ctx {
  op: string;
  order: number;
  fn: (xs: Tensor[]) => Tensor[];
  args: Tensor[];
  outs: Tensor[];
  leaves: Tensor[];
  tol: Tolerance;
  stats: Stats;
}

/** Outputs of fn at args with args[k].flat[j] += delta·u (u = one-hot when dir is a number). */
function evalShifted(ctx: Ctx, k: number, dir: number | Tensor, delta: number): Tensor[] {
  const xs = ctx.args.map((x, i) => {
    if (i !== k) return leafCopy(x);
    const c = clone(x);
    if (typeof dir === 'number') c.data[dir] = c.data[dir]! + delta;
    else for (let j = 0; j < c.size; j++) c.data[j] = c.data[j]! + delta * dir.data[j]!;
    return requiresGrad(c);
  });
  return enableGrad(() => ctx.fn(xs));
}

/** Analytic gradients of ⟨v, outs⟩ w.r.t. every leaf (zeros where an output is constant). */
function analyticVjp(ctx: Ctx, vs: Tensor[]): Tensor[] {
  return vjp(ctx.outs, vs, ctx.leaves, { retainGraph: true });
}

/** Central difference of ⟨vs, fn⟩ along `dir` of input k: (⟨vs, fn(x + εu)⟩ − ⟨vs, fn(x − εu)⟩) / 2ε. */
function numericVjp(ctx: Ctx, k: number, dir: number | Tensor, vs: Tensor[]): number {
  const { eps } = ctx.tol;
  return (dot(evalShifted(ctx, k, dir, eps), vs) - dot(evalShifted(ctx, k, dir, -eps), vs)) / (2 * eps);
}

function dot(outs: Tensor[], vs: Tensor[]): number {
  let s = 0;
  outs.forEach((o, i) => {
    const v = vs[i]!;
    for (let j = 0; j < o.size; j++) s += o.data[j]! * v.data[j]!;
  });
  return s;
}

function checkFull(ctx: Ctx): void {
  const { args, outs, tol } = ctx;
  // Analytic Jacobian rows: one backward pass per output element.
  const rows: Tensor[][] = [];
  outs.forEach((o, oi) => {
    for (let e = 0; e < o.size; e++) {
      const vs = outs.map((q, qi) => {
        const t = zeros(q.shape, { dtype: q.dtype });
        if (qi === oi) t.data[e] = 1;
        return t;
      });
      rows.push(analyticVjp(ctx, vs));
    }
  });
  args.forEach((x, k) => {
    for (let j = 0; j < x.size; j++) {
      const plus = evalShifted(ctx, k, j, tol.eps);
      const minus = evalShifted(ctx, k, j, -tol.eps);
      let r = 0;
      outs.forEach((o, oi) => {
        for (let e = 0; e < o.size; e++, r++) {
          const numeric = (plus[oi]!.data[e]! - minus[oi]!.data[e]!) / (2 * tol.eps);
          const analytic = rows[r]![k]!.data[j]!;
          ctx.stats.add(analytic, numeric);
          if (!within(tol, analytic, numeric)) {
            throw mismatch(ctx, `input ${k} ${shapeStr(x.shape)} element ${multiIndex(x.shape, j)}, output ${oi} ${shapeStr(o.shape)} element ${multiIndex(o.shape, e)}`, analytic, numeric);
          }
        }
      });
    }
  });
}

function checkRandom(ctx: Ctx, rng: Rng, directions: number): void {
  const { args, outs, tol } = ctx;
  for (let d = 0; d < directions; d++) {
    const vs = outs.map((o) => randomLike(o, rng));
    const grads = analyticVjp(ctx, vs);
    args.forEach((x, k) => {
      const u = randomLike(x, rng);
      let analytic = 0;
      const gk = grads[k]!;
      for (let j = 0; j < x.size; j++) analytic += gk.data[j]! * u.data[j]!;
      const numeric = numericVjp(ctx, k, u, vs);
      ctx.stats.add(analytic, numeric);
      if (!within(tol, analytic, numeric)) {
        locateWorst(ctx, k, vs, gk);
        throw mismatch(ctx, `input ${k} ${shapeStr(x.shape)}, random direction ${d}: vᵀJu`, analytic, numeric);
      }
    });
  }
}

/** After a failed projection, compare coordinate by coordinate (up to 4096 elements) to name the worst one. */
function locateWorst(ctx: Ctx, k: number, vs: Tensor[], gk: Tensor): void {
  const x = ctx.args[k]!;
  const n = Math.min(x.size, 4096);
  let worst = -1;
  let worstExcess = 0;
  let wa = 0;
  let wn = 0;
  for (let j = 0; j < n; j++) {
    const numeric = numericVjp(ctx, k, j, vs);
    const analytic = gk.data[j]!;
    const excess = Math.abs(analytic - numeric) - allowed(ctx.tol, numeric);
    if (excess > worstExcess || (Number.isNaN(excess) && worst < 0)) {
      worst = j;
      worstExcess = excess;
      wa = analytic;
      wn = numeric;
    }
  }
  if (worst >= 0) {
    throw mismatch(ctx, `input ${k} ${shapeStr(x.shape)} element ${multiIndex(x.shape, worst)} (gradient of ⟨v, outputs⟩ for a random v)`, wa, wn);
  }
}

function mismatch(ctx: Ctx, where: string, analytic: number, numeric: number): GradcheckError {
  const err = Math.abs(analytic - numeric);
  const what = ctx.order === 1 ? 'gradient' : `order-${ctx.order} derivative`;
  return new GradcheckError(ctx.op, `${what} mismatch at ${where}: analytic ${analytic} vs numeric ${numeric} (|error| ${err.toExponential(3)} > tolerance ${allowed(ctx.tol, numeric).toExponential(3)})`, analytic, numeric);
}

function multiIndex(shape: readonly number[], flat: number): string {
  const st = stridesOf(shape);
  return `[${shape.map((d, i) => Math.floor(flat / st[i]!) % d).join(',')}]`;
}
