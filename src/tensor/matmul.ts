import { allocate, promote } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { gemm } from './gemm.js';
import { sizeOf, stridesOf } from './shape.js';
import { Tensor } from './tensor.js';

export interface MatmulOptions {
  /** Use the transpose of the last two dimensions of `a` (ignored for a 1-D `a`). */
  transA?: boolean;
  /** Use the transpose of the last two dimensions of `b` (ignored for a 1-D `b`). */
  transB?: boolean;
}

/**
 * Matrix product with the semantics of torch.matmul / numpy.matmul:
 * - both 2-D: the matrix product [M,K]·[K,N] = [M,N];
 * - a 1-D `a` is a row vector ([K] → [1,K], the 1 removed from the result), a 1-D `b` a column
 *   vector ([K] → [K,1], the 1 removed); two 1-D operands give a 0-d dot product;
 * - ndim > 2: the leading dimensions are batch dimensions broadcast with NumPy rules.
 * `transA`/`transB` transpose the last two dimensions of a/b through the GEMM strides (no copy).
 * The result dtype is float64 if either operand is float64.
 */
export function matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor {
  const op = 'matmul';
  if (a.ndim === 0 || b.ndim === 0) {
    fail(op, `operands must have at least 1 dimension, got a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)}`);
  }
  const transA = a.ndim >= 2 && (opts?.transA ?? false);
  const transB = b.ndim >= 2 && (opts?.transB ?? false);
  const aVec = a.ndim === 1;
  const bVec = b.ndim === 1;
  // Matrix views of the last two dimensions, as stored: a is [ra, ca], b is [rb, cb].
  const ra = aVec ? 1 : a.shape[a.ndim - 2]!;
  const ca = a.shape[a.ndim - 1]!;
  const rb = bVec ? b.shape[0]! : b.shape[b.ndim - 2]!;
  const cb = bVec ? 1 : b.shape[b.ndim - 1]!;
  const M = transA ? ca : ra;
  const Ka = transA ? ra : ca;
  const Kb = transB ? cb : rb;
  const N = transB ? rb : cb;
  if (Ka !== Kb) {
    const tA = transA ? ' (transposed)' : '';
    const tB = transB ? ' (transposed)' : '';
    fail(op, `inner dimensions differ: a ${shapeStr(a.shape)}${tA} has ${Ka} columns but b ${shapeStr(b.shape)}${tB} has ${Kb} rows`);
  }
  const K = Ka;

  const batchA = a.shape.slice(0, Math.max(0, a.ndim - 2));
  const batchB = b.shape.slice(0, Math.max(0, b.ndim - 2));
  const nb = Math.max(batchA.length, batchB.length);
  const batch: number[] = [];
  for (let i = 0; i < nb; i++) {
    const da = batchA[batchA.length - nb + i] ?? 1;
    const db = batchB[batchB.length - nb + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      fail(op, `batch dimensions ${shapeStr(batchA)} of a ${shapeStr(a.shape)} and ${shapeStr(batchB)} of b ${shapeStr(b.shape)} cannot be broadcast`);
    }
    batch.push(da === 1 ? db : da);
  }
  const outShape = [...batch];
  if (!aVec) outShape.push(M);
  if (!bVec) outShape.push(N);

  const dtype = promote(a.dtype, b.dtype);
  const out = allocate(dtype, sizeOf(batch) * M * N);
  // GEMM strides of A (M×K) and B (K×N) inside one matrix of a / b.
  const aRs = transA ? 1 : ca;
  const aCs = transA ? ca : 1;
  const bRs = transB ? 1 : cb;
  const bCs = transB ? cb : 1;
  const aMat = ra * ca;
  const bMat = rb * cb;

  const nBatch = sizeOf(batch);
  const bBatchSize = sizeOf(batchB);
  if (nBatch === 1) {
    gemm(M, N, K, a.data, 0, aRs, aCs, b.data, 0, bRs, bCs, out, 0, N, false);
  } else if (bBatchSize === 1 && !transA) {
    // One shared B: the batch of row-major A matrices is a single (nBatch·M)×K matrix.
    gemm(nBatch * M, N, K, a.data, 0, aRs, aCs, b.data, 0, bRs, bCs, out, 0, N, false);
  } else {
    const sa = broadcastBatchStrides(batchA, batch, aMat);
    const sb = broadcastBatchStrides(batchB, batch, bMat);
    const outStrides = stridesOf(batch);
    for (let t = 0; t < nBatch; t++) {
      let offA = 0;
      let offB = 0;
      let rem = t;
      for (let d = 0; d < nb; d++) {
        const idx = Math.floor(rem / outStrides[d]!);
        rem -= idx * outStrides[d]!;
        offA += idx * sa[d]!;
        offB += idx * sb[d]!;
      }
      gemm(M, N, K, a.data, offA, aRs, aCs, b.data, offB, bRs, bCs, out, t * M * N, N, false);
    }
  }
  return new Tensor(out, outShape);
}

/** Element strides of each output batch dimension inside an operand (0 where it broadcasts). */
function broadcastBatchStrides(own: readonly number[], batch: readonly number[], matSize: number): number[] {
  const n = batch.length;
  const out = new Array<number>(n).fill(0);
  let acc = matSize;
  for (let i = own.length - 1; i >= 0; i--) {
    const d = own[i]!;
    out[n - own.length + i] = d === 1 ? 0 : acc;
    acc *= d;
  }
  return out;
}
