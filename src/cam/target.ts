import { gather } from '../autodiff/ops/indexing.js';
import { add } from '../autodiff/ops/elementwise.js';
import { softmax, sum } from '../autodiff/ops/reduce.js';
import { reshape, slice } from '../autodiff/ops/movement.js';
import { fail, shapeStr } from '../tensor/errors.js';
import { argmax } from '../tensor/reduce.js';
import { IndexTensor, type Tensor } from '../tensor/tensor.js';

/**
 * What a CAM explains, per image:
 * - a class index (its raw score, the logit, as Grad-CAM uses);
 * - 'predicted' (the default): the arg-max class's score;
 * - `{ class, output: 'probability' }`: the softmax probability of a class instead of its score;
 * - a function of the model's output row for that image (a [numClasses] tensor) returning a scalar.
 */
export type Target =
  | number
  | 'predicted'
  | { class: number | 'predicted'; output?: 'score' | 'probability' }
  | ((outputRow: Tensor) => Tensor);

/** A target resolved against one image's output: the class it names (−1 for custom functions). */
export interface ResolvedTarget {
  classIndex: number;
  kind: 'score' | 'probability' | 'custom';
  fn: (outputRow: Tensor) => Tensor;
  description: string;
}

/** Resolves one target for image n, given the model's (non-graph) output [N, C]. */
export function resolveTarget(target: Target, output: Tensor, n: number): ResolvedTarget {
  if (output.ndim !== 2) fail('cam target', `model output must be [N, classes], got ${shapeStr(output.shape)}`);
  const numClasses = output.shape[1]!;
  const pick = (c: number | 'predicted'): number => {
    if (c === 'predicted') return argmax(slice(output, [[n, n + 1], null]), 1).data[0]!;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) fail('cam target', `class ${c} is out of range: the model has ${numClasses} classes (0-${numClasses - 1})`);
    return c;
  };
  if (typeof target === 'function') return { classIndex: -1, kind: 'custom', fn: target, description: 'custom function' };
  if (typeof target === 'number' || target === 'predicted') {
    const c = pick(target);
    return { classIndex: c, kind: 'score', fn: (row) => classScore(row, c), description: `score of class ${c}` };
  }
  if (typeof target === 'object' && target !== null) {
    const c = pick(target.class);
    if ((target.output ?? 'score') === 'probability') {
      return { classIndex: c, kind: 'probability', fn: (row) => classScore(softmax(row, -1), c), description: `softmax probability of class ${c}` };
    }
    return { classIndex: c, kind: 'score', fn: (row) => classScore(row, c), description: `score of class ${c}` };
  }
  return fail('cam target', `unknown target ${String(target)}`);
}

function classScore(row: Tensor, c: number): Tensor {
  return reshape(gather(row, new IndexTensor(Int32Array.of(c), [1])), []);
}

/** One target per image: a single target applies to every image; a list must match the batch. */
export function targetsFor(target: Target | readonly Target[] | undefined, output: Tensor): ResolvedTarget[] {
  const n = output.shape[0]!;
  const list = Array.isArray(target) ? (target as readonly Target[]) : undefined;
  if (list !== undefined && list.length !== n) fail('cam target', `${list.length} targets given for a batch of ${n} images`);
  return Array.from({ length: n }, (_, i) => resolveTarget(list?.[i] ?? ((target as Target | undefined) ?? 'predicted'), output, i));
}

/**
 * Σ_n target_n(out[n]) for a batch output [B, C] where row b belongs to image `imageOf(b)`.
 * The images are independent, so the gradient of this sum w.r.t. a batched activation holds
 * each image's own gradient.
 */
export function totalScore(out: Tensor, targets: readonly ResolvedTarget[], imageOf: (b: number) => number = (b) => b): Tensor {
  const rows = out.shape[0]!;
  const c = out.shape[1]!;
  const kinds = new Set(Array.from({ length: rows }, (_, b) => targets[imageOf(b)]!.kind));
  if (kinds.size === 1 && !kinds.has('custom')) {
    // One gather of every row's class: O(B·C) work, where per-row slices would cost O(B²·C) in backward.
    const flat = Int32Array.from({ length: rows }, (_, b) => b * c + targets[imageOf(b)]!.classIndex);
    const src = kinds.has('probability') ? softmax(out, -1) : out;
    return sum(gather(src, new IndexTensor(flat, [rows])));
  }
  let total: Tensor | null = null;
  for (let b = 0; b < rows; b++) {
    const row = reshape(slice(out, [[b, b + 1], null]), [c]);
    const s = targets[imageOf(b)]!.fn(row);
    if (s.size !== 1) fail('cam target', `a target function must return a scalar, got shape ${shapeStr(s.shape)}`);
    total = total === null ? reshape(s, []) : add(total, reshape(s, []));
  }
  return total!;
}
