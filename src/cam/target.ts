import * as K from '../tensor/index.js';
import { gather } from '../autodiff/ops/indexing.js';
import { softmax, sum } from '../autodiff/ops/reduce.js';
import { concat, reshape, slice } from '../autodiff/ops/movement.js';
import { fail, shapeStr } from '../tensor/errors.js';
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
  if (typeof target === 'function') return { classIndex: -1, kind: 'custom', fn: target, description: 'custom function' };
  const spec = typeof target === 'number' || target === 'predicted' ? { class: target } : target;
  if (typeof spec !== 'object' || spec === null) fail('cam target', `unknown target ${String(target)}`);
  const kind = spec.output ?? 'score';
  if (kind !== 'score' && kind !== 'probability') fail('cam target', `output must be 'score' or 'probability', got '${String(kind)}'`);
  const cls = spec.class;
  const numClasses = output.shape[1]!;
  if (cls !== 'predicted' && (!Number.isInteger(cls) || cls < 0 || cls >= numClasses)) fail('cam target', `class ${cls} is out of range: the model has ${numClasses} classes (0-${numClasses - 1})`);
  const c = cls === 'predicted' ? K.argmax(slice(output, [[n, n + 1], null]), 1).data[0]! : cls;
  if (kind === 'probability') return { classIndex: c, kind, fn: (row) => classScore(softmax(row, -1), c), description: `softmax probability of class ${c}` };
  return { classIndex: c, kind, fn: (row) => classScore(row, c), description: `score of class ${c}` };
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
 * Targets resolved on a clean image, as targets that name the same class on any other input (a
 * noisy or augmented copy), so 'predicted' cannot change class between copies.
 */
export function fixedTargets(targets: readonly ResolvedTarget[]): Target[] {
  return targets.map((t) => (t.kind === 'custom' ? t.fn : t.kind === 'probability' ? { class: t.classIndex, output: 'probability' as const } : t.classIndex));
}

/**
 * The target's output for every row of a batch output [B, C], targets[b] applying to row b:
 * a [B] tensor (differentiable) of out[b, c_b], softmax(out[b])[c_b] or target_b(out[b]).
 */
export function targetOutputs(out: Tensor, targets: readonly ResolvedTarget[]): Tensor {
  const rows = out.shape[0]!;
  const c = out.shape[1]!;
  if (targets.length !== rows) fail('cam target', `${targets.length} targets given for ${rows} output rows (output ${shapeStr(out.shape)})`);
  const kinds = new Set(targets.map((t) => t.kind));
  if (kinds.size === 1 && !kinds.has('custom')) {
    // One gather of every row's class: O(B·C) work, where per-row slices would cost O(B²·C) in backward.
    const flat = Int32Array.from(targets, (t, b) => b * c + t.classIndex);
    return gather(kinds.has('probability') ? softmax(out, -1) : out, new IndexTensor(flat, [rows]));
  }
  return concat(targets.map((t, b) => {
    const s = t.fn(reshape(slice(out, [[b, b + 1], null]), [c]));
    if (s.size !== 1) fail('cam target', `a target function must return a scalar, got shape ${shapeStr(s.shape)}`);
    return reshape(s, [1]);
  }));
}

/**
 * Σ_b target_b(out[b]) for a batch output [B, C] with one target per row ({@link targetOutputs}).
 * The images are independent, so the gradient of this sum w.r.t. a batched activation holds
 * each image's own gradient.
 */
export function totalScore(out: Tensor, targets: readonly ResolvedTarget[]): Tensor {
  return sum(targetOutputs(out, targets));
}
