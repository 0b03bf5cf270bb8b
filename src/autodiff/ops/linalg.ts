import { matmul as matmulKernel, type MatmulOptions } from '../../tensor/matmul.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { reshape } from './movement.js';
import { sumTo } from './reduce.js';

export type { MatmulOptions };

/**
 * Matrix product C = op(A)·op(B) (op = optional transpose of the last two axes), batched with
 * broadcast batch axes; 1-D operands act as vectors (NumPy rules). VJPs are matmuls again:
 * ∂op(A) = g·op(B)ᵀ, ∂op(B) = op(A)ᵀ·g, expressed with transpose flags instead of copies.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  if (a.ndim === 1 || b.ndim === 1) {
    // Promote vectors to matrices, multiply, and drop the added axis again.
    const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
    const b2 = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
    // Transpose flags apply to 2-D+ operands only (as in the kernel): a promoted vector is never transposed.
    const c = matmul(a2, b2, { transA: a.ndim === 1 ? false : (opts.transA ?? false), transB: b.ndim === 1 ? false : (opts.transB ?? false) });
    const shape = c.shape.slice();
    if (b.ndim === 1) shape.splice(shape.length - 1, 1);
    if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
    return reshape(c, shape);
  }
  const tA = opts.transA ?? false;
  const tB = opts.transB ?? false;
  return record('matmul', matmulKernel(a, b, opts), [a, b], (g, needs) => [
    needs[0] ? sumTo(tA ? matmul(b, g, { transA: tB, transB: true }) : matmul(g, b, { transB: !tB }), a.shape) : null,
    needs[1] ? sumTo(tB ? matmul(g, a, { transA: true, transB: tA }) : matmul(a, g, { transA: !tA }), b.shape) : null,
  ]);
}
