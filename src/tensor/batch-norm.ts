import { allocate, type FloatArray } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { Tensor } from './tensor.js';

// Batch norm in training: the per-channel statistics of a batch and the first-order gradient,
// each in a few passes over x (the composition of mean, sub, square, mean, … makes a full-size
// temporary per op). x is [N, C, …]; statistics are per channel (axis 1), shaped [1, C, 1, …].

/** N·(size of the axes after the channel): the values each channel's statistics average. */
function dims(op: string, x: Tensor): { N: number; C: number; plane: number; M: number } {
  if (x.ndim < 2) fail(op, `input must have a channel axis (rank >= 2), got ${shapeStr(x.shape)}`);
  const N = x.shape[0]!;
  const C = x.shape[1]!;
  const plane = x.size / (N * C);
  return { N, C, plane, M: N * plane };
}

/**
 * The batch's mean μ_c = Σ x / M and biased variance σ²_c = Σ (x − μ)² / M per channel, with the
 * bits of mean(x) and mean(square(sub(x, μ))) over every axis but the channels: each difference
 * and square rounded to x's dtype, the sums in float64 in storage order, rounded, then divided.
 */
export function batchNormStats(x: Tensor): { mean: Tensor; variance: Tensor } {
  const { N, C, plane, M } = dims('batchNormStats', x);
  const d = x.data;
  const f32 = d instanceof Float32Array;
  const r = f32 ? Math.fround : (v: number): number => v;
  const sums = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let s = sums[c]!;
      for (let i = (n * C + c) * plane, end = i + plane; i < end; i++) s += d[i]!;
      sums[c] = s;
    }
  }
  const mean = allocate(x.dtype, C);
  for (let c = 0; c < C; c++) mean[c] = r(sums[c]!) / M;
  const sq = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const mc = mean[c]!;
      let s = sq[c]!;
      if (f32) {
        for (let i = (n * C + c) * plane, end = i + plane; i < end; i++) {
          const v = Math.fround(d[i]! - mc);
          s += Math.fround(v * v);
        }
      } else {
        for (let i = (n * C + c) * plane, end = i + plane; i < end; i++) {
          const v = d[i]! - mc;
          s += v * v;
        }
      }
      sq[c] = s;
    }
  }
  const variance = allocate(x.dtype, C);
  for (let c = 0; c < C; c++) variance[c] = r(sq[c]!) / M;
  const shape = x.shape.map((v, i) => (i === 1 ? v : 1));
  return { mean: new Tensor(mean, shape), variance: new Tensor(variance, shape) };
}

/**
 * The first-order gradient of y = (x − μ)·γ/σ + β with batch statistics (σ² = variance + eps):
 *   ∂β = Σ g,  ∂γ = Σ g·(x − μ) / σ,  ∂x = (γ/σ)·(g − Σg/M − (x − μ)·Σ g·(x − μ) / (M·σ²)),
 * sums per channel in float64: one pass for the two sums, one for ∂x. (The differentiable form of
 * the same formula, for higher orders, is in autodiff/ops/batch-norm.ts.)
 */
export function batchNormBackward(g: Tensor, x: Tensor, mean: Tensor, gamma: Tensor, sigma2: Tensor): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const { N, C, plane, M } = dims('batchNormBackward', x);
  if (g.size !== x.size) fail('batchNormBackward', `gradient ${shapeStr(g.shape)} and input ${shapeStr(x.shape)} differ in shape`);
  const [gd, xd, mu, ga, s2] = [g.data, x.data, mean.data, gamma.data, sigma2.data];
  const sg = new Float64Array(C);
  const sgx = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const mc = mu[c]!;
      let a = sg[c]!;
      let b = sgx[c]!;
      for (let i = (n * C + c) * plane, end = i + plane; i < end; i++) {
        a += gd[i]!;
        b += gd[i]! * (xd[i]! - mc);
      }
      sg[c] = a;
      sgx[c] = b;
    }
  }
  const dx = allocate(x.dtype, x.size);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const mc = mu[c]!;
      const sigma = Math.sqrt(s2[c]!);
      const scale = ga[c]! / sigma;
      const meanG = sg[c]! / M;
      const k = sgx[c]! / (M * s2[c]!);
      writeDx(dx, gd, xd, (n * C + c) * plane, plane, mc, scale, meanG, k);
    }
  }
  const per = (v: (c: number) => number): Tensor => {
    const out = allocate(x.dtype, C);
    for (let c = 0; c < C; c++) out[c] = v(c);
    return new Tensor(out, mean.shape);
  };
  return { dx: new Tensor(dx, x.shape), dgamma: per((c) => sgx[c]! / Math.sqrt(s2[c]!)), dbeta: per((c) => sg[c]!) };
}

function writeDx(dx: FloatArray, g: FloatArray, x: FloatArray, at: number, n: number, mc: number, scale: number, meanG: number, k: number): void {
  for (let i = at; i < at + n; i++) dx[i] = scale * (g[i]! - meanG - (x[i]! - mc) * k);
}
