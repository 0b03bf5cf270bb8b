import { gather } from '../autodiff/ops/indexing.js';
import { logSoftmax, mean, sum } from '../autodiff/ops/reduce.js';
import { neg, square } from '../autodiff/ops/unary.js';
import { sub } from '../autodiff/ops/elementwise.js';
import { fail, shapeStr } from '../tensor/errors.js';
import { IndexTensor, type Tensor } from '../tensor/tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Cross-entropy on logits [N, C] with integer class targets:
 * loss_n = −log softmax(z_n)[t_n] = logsumexp(z_n) − z_n[t_n], computed through logSoftmax
 * (stable for large logits). Reduction 'mean' (default), 'sum' or 'none'.
 */
export function crossEntropy(logits: Tensor, targets: readonly number[] | IndexTensor, reduction: Reduction = 'mean'): Tensor {
  if (logits.ndim !== 2) fail('crossEntropy', `logits must be [N, C], got ${shapeStr(logits.shape)}`);
  const [n, c] = logits.shape as [number, number];
  const t = targets instanceof IndexTensor ? targets.toFlatArray() : targets;
  if (t.length !== n) fail('crossEntropy', `${t.length} targets for a batch of ${n} (logits ${shapeStr(logits.shape)})`);
  const flat = new Int32Array(n);
  t.forEach((k, i) => {
    if (!Number.isInteger(k) || k < 0 || k >= c) fail('crossEntropy', `target ${k} at position ${i} is not a class index in [0, ${c})`);
    flat[i] = i * c + k;
  });
  const picked = neg(gather(logSoftmax(logits, 1), new IndexTensor(flat, [n])));
  return reduce(picked, reduction);
}

/** Mean squared error Σ(a − b)² / n (or sum / none). */
export function mseLoss(a: Tensor, b: Tensor, reduction: Reduction = 'mean'): Tensor {
  const d = sub(a, b);
  return reduce(square(d), reduction);
}

function reduce(x: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return mean(x);
  if (reduction === 'sum') return sum(x);
  if (reduction === 'none') return x;
  return fail('loss', `unknown reduction '${String(reduction)}' (use 'mean', 'sum' or 'none')`);
}

