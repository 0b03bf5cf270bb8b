import { kernels } from './backend.js';
import { checkEpilogue, type ConvEpilogue } from './conv-epilogue.js';
import { allocate, promote, type DType, type FloatArray } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { Tensor } from './tensor.js';

/** Convolution hyper-parameters as in PyTorch's F.conv2d (a number applies to both H and W). */
export interface Conv2dOptions {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  groups?: number;
}

/** Resolved geometry of a 2-D convolution: input [N,C,H,W], weight [O,C/groups,KH,KW], output [N,O,OH,OW]. */
export interface Conv2dGeometry {
  N: number; C: number; H: number; W: number;
  O: number; KH: number; KW: number;
  groups: number; Cg: number; Og: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  OH: number; OW: number;
}

/**
 * A [h, w] pair from a number or a pair; every entry an integer >= min. Shared with pooling.
 * `what` names the parameter in the error, e.g. `conv2d: stride must be integers >= 1, got [0,1]`.
 */
export function resolvePair(op: string, what: string, v: number | readonly [number, number] | undefined, def: number, min: number): [number, number] {
  let p: [number, number];
  if (v === undefined) p = [def, def];
  else if (typeof v === 'number') p = [v, v];
  else if (Array.isArray(v) && v.length === 2) p = [v[0] as number, v[1] as number];
  else fail(op, `${what} must be a number or a pair [h, w], got ${fmt(v)}`);
  for (const x of p) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) {
      fail(op, `${what} must be ${min === 0 ? 'non-negative integers' : `integers >= ${min}`}, got ${fmt(v)}`);
    }
  }
  return p;
}

function fmt(v: unknown): string {
  return Array.isArray(v) ? `[${v.map((x) => String(x)).join(',')}]` : String(v);
}

/** Checks a 4-D shape of positive integers (`layout` names its axes in the error). Shared with pooling and resizing. */
export function check4d(op: string, what: string, shape: readonly number[], layout = '[N,C,H,W]'): void {
  if (!Array.isArray(shape) || shape.length !== 4) {
    fail(op, `${what} must be 4-D ${layout}, got ${Array.isArray(shape) ? shapeStr(shape) : String(shape)}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) fail(op, `${what} ${shapeStr(shape)} must have positive integer dimensions`);
  }
}

/** Validates input/weight shapes and options; throws naming `op` and the shapes at fault. */
export function conv2dGeometry(op: string, inputShape: readonly number[], weightShape: readonly number[], opts?: Conv2dOptions): Conv2dGeometry {
  check4d(op, 'input', inputShape, '[N,C,H,W]');
  check4d(op, 'weight', weightShape, '[O,C/groups,KH,KW]');
  const [N, C, H, W] = inputShape as [number, number, number, number];
  const [O, Cw, KH, KW] = weightShape as [number, number, number, number];
  const shapes = `(input ${shapeStr(inputShape)}, weight ${shapeStr(weightShape)})`;
  const groups = opts?.groups ?? 1;
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) {
    fail(op, `groups must be an integer >= 1, got ${String(groups)}`);
  }
  const [sh, sw] = resolvePair(op, 'stride', opts?.stride, 1, 1);
  const [ph, pw] = resolvePair(op, 'padding', opts?.padding, 0, 0);
  const [dh, dw] = resolvePair(op, 'dilation', opts?.dilation, 1, 1);
  if (Cw * groups !== C) {
    const per = groups > 1 ? ` (${Cw} per group x ${groups} groups)` : '';
    fail(op, `input has ${C} channels, weight expects ${Cw * groups}${per} ${shapes}`);
  }
  if (O % groups !== 0) {
    fail(op, `weight has ${O} output channels, not divisible by groups=${groups} ${shapes}`);
  }
  const ekh = dh * (KH - 1) + 1;
  const ekw = dw * (KW - 1) + 1;
  if (ekh > H + 2 * ph || ekw > W + 2 * pw) {
    fail(op, `kernel ${ekh}x${ekw} (dilation [${dh},${dw}]) is larger than the padded input ${H + 2 * ph}x${W + 2 * pw} (padding [${ph},${pw}]) ${shapes}`);
  }
  const OH = Math.floor((H + 2 * ph - ekh) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - ekw) / sw) + 1;
  return { N, C, H, W, O, KH, KW, groups, Cg: C / groups, Og: O / groups, sh, sw, ph, pw, dh, dw, OH, OW };
}

/** Output shape [N, O, OH, OW] of conv2d; validates like conv2d. */
export function conv2dOutputShape(inputShape: readonly number[], weightShape: readonly number[], opts?: Conv2dOptions): number[] {
  const g = conv2dGeometry('conv2dOutputShape', inputShape, weightShape, opts);
  return [g.N, g.O, g.OH, g.OW];
}

/**
 * 2-D cross-correlation as PyTorch's F.conv2d without bias: x [N,C,H,W], w [O,C/groups,KH,KW]
 * → [N,O,OH,OW] with OH = ⌊(H + 2·ph − dh·(KH−1) − 1)/sh⌋ + 1:
 *   out[n,o,oh,ow] = Σ_{c,kh,kw} w[o,c,kh,kw] · x[n, g·C/groups + c, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw]
 * (0 outside x), per image and group the GEMM W_g [Og, Cg·KH·KW] · im2col(x) (summation order:
 * contract.ts). An `epilogue` (conv-epilogue.ts: bias, batch norm, residual, relu) is applied to
 * the output before it is returned, with the bits of the separate ops (inference only: no graph).
 */
export function conv2d(x: Tensor, w: Tensor, opts?: Conv2dOptions, epilogue?: ConvEpilogue): Tensor {
  const g = conv2dGeometry('conv2d', x.shape, w.shape, opts);
  const out = allocate(promote(x.dtype, w.dtype), g.N * g.O * g.OH * g.OW);
  if (epilogue !== undefined) checkEpilogue('conv2d', epilogue, out, g.O);
  kernels().conv2d(g, x.data, w.data, out, epilogue ?? null);
  return new Tensor(out, [g.N, g.O, g.OH, g.OW]);
}

/**
 * The gradient of conv2d with respect to its input (a transposed convolution): the exact adjoint
 * of x ↦ conv2d(x, w), so <g, conv2d(x, w)> = <conv2dInputGrad(g, w, x.shape), x>. `inputShape`
 * fixes H and W (several sizes give the same output when stride > 1). The result has g's batch;
 * inputShape[0] must equal it or be 1 (a broadcast input, which the caller then sums).
 * Per image and group: dcol = W_gᵀ · g, then the col2im scatter-add, taps in (kh, kw) order
 * (contract.ts).
 */
export function conv2dInputGrad(g: Tensor, w: Tensor, inputShape: readonly number[], opts?: Conv2dOptions): Tensor {
  const op = 'conv2dInputGrad';
  check4d(op, 'gradient', g.shape, '[N,O,OH,OW]');
  check4d(op, 'inputShape', inputShape, '[N,C,H,W]');
  const NB = g.shape[0]!;
  if (inputShape[0] !== NB && inputShape[0] !== 1) {
    fail(op, `inputShape ${shapeStr(inputShape)} has batch ${inputShape[0]}, gradient ${shapeStr(g.shape)} has batch ${NB}`);
  }
  const geo = { ...conv2dGeometry(op, inputShape, w.shape, opts), N: NB };
  const { C, H, W, O, OH, OW } = geo;
  if (g.shape[1] !== O || g.shape[2] !== OH || g.shape[3] !== OW) {
    fail(op, `gradient ${shapeStr(g.shape)} does not match the conv2d output [${NB},${O},${OH},${OW}] of input ${shapeStr(inputShape)} and weight ${shapeStr(w.shape)}`);
  }
  const dx = allocate(promote(g.dtype, w.dtype), NB * C * H * W);
  kernels().conv2dInputGrad(geo, g.data, w.data, dx);
  return new Tensor(dx, [NB, C, H, W]);
}

/**
 * The gradient of conv2d with respect to its weight, summed over the batch: the exact adjoint of
 * w ↦ conv2d(x, w), so <g, conv2d(x, w)> = <conv2dWeightGrad(x, g, w.shape), w>. x and g have the
 * same batch, or one of them has batch 1 and is broadcast against the other. Per group,
 * dW_g = Σ_n g_n [Og, OH·OW] · im2col(x_n)ᵀ, images in order, each in the contract's K blocks of
 * output positions (contract.ts).
 */
export function conv2dWeightGrad(x: Tensor, g: Tensor, weightShape: readonly number[], opts?: Conv2dOptions): Tensor {
  const op = 'conv2dWeightGrad';
  check4d(op, 'gradient', g.shape, '[N,O,OH,OW]');
  check4d(op, 'input', x.shape, '[N,C,H,W]');
  const xN = x.shape[0]!;
  const gN = g.shape[0]!;
  if (xN !== gN && xN !== 1 && gN !== 1) {
    fail(op, `input ${shapeStr(x.shape)} and gradient ${shapeStr(g.shape)} have batches ${xN} and ${gN}; they must be equal or one of them 1`);
  }
  const geo = conv2dGeometry(op, x.shape, weightShape, opts);
  const { C, H, W, O, Cg, OH, OW } = geo;
  if (g.shape[1] !== O || g.shape[2] !== OH || g.shape[3] !== OW) {
    fail(op, `gradient ${shapeStr(g.shape)} does not match the conv2d output [${gN},${O},${OH},${OW}] of input ${shapeStr(x.shape)} and weight ${shapeStr(weightShape)}`);
  }
  const OHW = OH * OW;
  const Kg = Cg * geo.KH * geo.KW;
  const dtype: DType = promote(x.dtype, g.dtype);
  // A broadcast operand factors out of the batch sum: Σ_n g_n·col(x)^T = (Σ_n g_n)·col(x)^T and
  // Σ_n g·col(x_n)^T = g·col(Σ_n x_n)^T (im2col is linear), so both reduce to a single image.
  let xs: FloatArray = x.data;
  let gs: FloatArray = g.data;
  let NB = Math.max(xN, gN);
  if (xN !== gN) {
    if (xN === 1) gs = sumBatch(g.data, gN, O * OHW);
    else xs = sumBatch(x.data, xN, C * H * W);
    NB = 1;
  }
  const out = allocate(dtype, O * Kg);
  kernels().conv2dWeightGrad({ ...geo, N: NB }, xs, gs, out);
  return new Tensor(out, [O, Cg, geo.KH, geo.KW]);
}

/** Σ over the leading batch of `n` blocks of `size` elements, in float64. */
function sumBatch(data: FloatArray, n: number, size: number): Float64Array {
  const out = new Float64Array(size);
  for (let b = 0; b < n; b++) {
    const off = b * size;
    for (let i = 0; i < size; i++) out[i]! += data[off + i]!;
  }
  return out;
}
