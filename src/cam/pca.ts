/**
 * The first principal component of a layer's activations, as EigenCAM and pytorch-grad-cam's
 * `eigen_smooth` use it, computed in float64 by a deterministic cyclic Jacobi eigensolver (the
 * same input gives the same bits in every runtime; no random start as power iteration would need).
 */
import { fail, shapeStr } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** Sweeps of the Jacobi method before giving up (it converges quadratically: ~10 sweeps in practice). */
const MAX_SWEEPS = 60;

/**
 * The largest eigenvalue λ and a unit eigenvector v of a symmetric n×n matrix (row-major), by
 * cyclic Jacobi rotations (Golub & Van Loan, Matrix Computations, §8.5): each rotation zeroes one
 * off-diagonal entry; sweeps repeat until the off-diagonal mass is below 1e-30 of the total.
 */
export function topEigenpair(matrix: ArrayLike<number>, n: number): { value: number; vector: Float64Array } {
  if (!Number.isInteger(n) || n < 1 || matrix.length !== n * n) fail('topEigenpair', `expects an n×n matrix, got ${matrix.length} values for n = ${n}`);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(a[i]!)) fail('topEigenpair', `the matrix holds ${a[i]} at [${Math.floor(i / n)}, ${i % n}]`);
    total += a[i]! * a[i]!;
  }
  for (let sweep = 0; ; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * a[p * n + q]! * a[p * n + q]!;
    if (off <= 1e-30 * total) break;
    if (sweep === MAX_SWEEPS) fail('topEigenpair', `Jacobi did not converge in ${MAX_SWEEPS} sweeps (off-diagonal ${off} of ${total})`);
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        // The rotation [c s; −s c] that zeroes a_pq: t = tan θ, the smaller root of t² + 2τt − 1 = 0.
        const tau = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (a[i * n + i]! > a[best * n + best]!) best = i;
  const vector = new Float64Array(n);
  for (let k = 0; k < n; k++) vector[k] = v[k * n + best]!;
  return { value: a[best * n + best]!, vector };
}

/**
 * Projection of each image's activations on their first principal component (pytorch-grad-cam's
 * get_2d_projection, Muhammad & Yeasin 2020): X = A as a [hw, K] matrix (a row per position),
 * centred per channel (X − mean over positions), v₁ its first right singular vector, and
 * p = X v₁ reshaped to [h, w]. For a [N,K,h,w] input, returns [N,h,w].
 *
 * Computed from the smaller Gram matrix: XᵀX (K×K) gives v₁ and p = X v₁; X Xᵀ (hw×hw) gives the
 * left singular vector u₁ with eigenvalue σ₁², and p = σ₁ u₁.
 *
 * Sign convention: a singular vector's sign is arbitrary (NumPy returns whatever LAPACK gives),
 * so p is flipped when |min p| > |max p|: the larger-magnitude side is positive, as Seg-Eigen-CAM
 * (Chung & Ying 2025, eq. 13) and pytorch-grad-cam's get_2d_projection_with_sign_correction do.
 */
export function firstPrincipalProjection(a: Tensor): Tensor {
  if (a.ndim !== 4) fail('firstPrincipalProjection', `expects activations [N,K,h,w], got ${shapeStr(a.shape)}`);
  const [n, k, h, w] = a.shape as [number, number, number, number];
  const hw = h * w;
  const out = new Float64Array(n * hw);
  const x = new Float64Array(hw * k); // one image, [hw, K], centred
  for (let img = 0; img < n; img++) {
    for (let c = 0; c < k; c++) {
      const base = (img * k + c) * hw;
      let mean = 0;
      for (let i = 0; i < hw; i++) mean += a.data[base + i]!;
      mean /= hw;
      for (let i = 0; i < hw; i++) x[i * k + c] = a.data[base + i]! - mean;
    }
    const p = out.subarray(img * hw, (img + 1) * hw);
    if (k <= hw) {
      const { vector } = topEigenpair(gram(x, hw, k, 'columns'), k);
      for (let i = 0; i < hw; i++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += x[i * k + c]! * vector[c]!;
        p[i] = s;
      }
    } else {
      const { value, vector } = topEigenpair(gram(x, hw, k, 'rows'), hw);
      const sigma = Math.sqrt(Math.max(value, 0));
      for (let i = 0; i < hw; i++) p[i] = sigma * vector[i]!;
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of p) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (Math.abs(lo) > Math.abs(hi)) for (let i = 0; i < hw; i++) p[i] = -p[i]!;
  }
  return new Tensor(a.dtype === 'float64' ? out : Float32Array.from(out), [n, h, w]);
}

/** XᵀX ('columns', [cols, cols]) or X Xᵀ ('rows', [rows, rows]) of a row-major [rows, cols] matrix. */
function gram(x: Float64Array, rows: number, cols: number, of: 'columns' | 'rows'): Float64Array {
  const m = of === 'columns' ? cols : rows;
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let s = 0;
      if (of === 'columns') for (let r = 0; r < rows; r++) s += x[r * cols + i]! * x[r * cols + j]!;
      else for (let c = 0; c < cols; c++) s += x[i * cols + c]! * x[j * cols + c]!;
      g[i * m + j] = s;
      g[j * m + i] = s;
    }
  }
  return g;
}
