import { dependsOn, grad } from '../autodiff/grad.js';
import { noGrad } from '../autodiff/mode.js';
import { gather } from '../autodiff/ops/indexing.js';
import { reshape } from '../autodiff/ops/movement.js';
import { expand, softmax, sum } from '../autodiff/ops/reduce.js';
import { ones } from '../tensor/create.js';
import type { FloatArray } from '../tensor/dtype.js';
import { IndexTensor, type Tensor } from '../tensor/tensor.js';
import { activationLeaf, type Split } from './split.js';
import { targetOutputs, type ResolvedTarget } from './target.js';

/** Which output the exact diagonals are of (gradients.ts's ExactOutput). */
type Output = 'exp' | 'softmax' | 'raw';

/**
 * The exact diagonals ∂²Y/∂A_e², ∂³Y/∂A_e³ of one image by the chain rule, when the engine's own
 * autodiff certifies that the scores are linear in A around A: the gradient ∂S/∂A, taken with
 * `createGraph`, does not reach A ({@link dependsOn}). That holds when every op between A and S is
 * linear or piecewise linear (conv, linear, ReLU, max-pool, average pool, batch norm in eval, a
 * residual add): their VJPs hold masks and weights as constants, so autodiff's ∂²S/∂A² and
 * ∂³S/∂A³ are exactly 0 and the batched extraction would compute, entry by entry, the same
 * closed forms (up to rounding; tested against it). With g = ∂S/∂A:
 *   Y = S:                d2 = d3 = 0
 *   Y = exp(S − S₀):      d2 = Y·g², d3 = Y·g³
 *   Y = p_c (softmax):    u_e = ∂S/∂A_e (a column of the logits' Jacobian, from batched backward
 *                         passes over the classes), ℓ = log p_c along A_e:
 *                         ℓ' = u_c − E_p[u], ℓ'' = −Var_p[u], ℓ''' = −κ₃,p[u] (moments under p),
 *                         d2 = p_c(ℓ'' + ℓ'²), d3 = p_c(ℓ''' + 3ℓ'ℓ'' + ℓ'³).
 * Cost: one backward pass with `createGraph` (it is also the check), plus ⌈C / batch⌉ batched
 * passes for the softmax, instead of three passes per `batch` entries. d2 and d3 come in as
 * zeros: writes their entries `at` (all when undefined) and returns true, or returns false,
 * writing nothing, when the head is not certified. `out` = split.head(leaf), `leaf` a leaf copy
 * of the activation (the caller's d1 pass made them; their graph must still be there).
 */
export function linearHeadDiagonals(split: Split, leaf: Tensor, out: Tensor, target: ResolvedTarget, output: Output, batch: number, at: readonly number[] | undefined, d2: FloatArray, d3: FloatArray): boolean {
  const a = split.activation;
  const per = a.size;
  if (!out.requiresGrad) return false; // the batched path handles an output that ignores A
  const entries = at ?? Array.from({ length: per }, (_, e) => e);
  if (output !== 'softmax') {
    const s = sum(targetOutputs(out, [target]));
    if (!s.requiresGrad) return false;
    const [g] = grad(s, leaf, { createGraph: true, onUnused: 'zeros' });
    if (dependsOn(g!, leaf)) return false;
    if (output === 'raw') return true; // d2 = d3 = 0, as they were given
    const y = Math.exp(s.data[0]! - noGrad(() => targetOutputs(split.output, [target]).data[0]!));
    for (const e of entries) {
      const ge = g!.data[e]!;
      d2[e] = y * ge * ge;
      d3[e] = y * ge * ge * ge;
    }
    return true;
  }
  const c = out.shape[1]!;
  const [all] = grad(out, leaf, { gradOutputs: ones(out.shape, { dtype: out.dtype }), createGraph: true, onUnused: 'zeros' });
  if (dependsOn(all!, leaf)) return false;
  const p = noGrad(() => softmax(out, -1)).data;
  const m = new SoftmaxMoments(per);
  // Jacobian rows ∂S_j/∂A for `batch` classes per pass (copy i of A feeds class order[i]), the
  // target class first: the moments are taken of u − u_c, exact where p_c ≈ 1.
  const order = [target.classIndex, ...Array.from({ length: c }, (_, j) => j).filter((j) => j !== target.classIndex)];
  for (let i0 = 0; i0 < c; i0 += batch) {
    const b = Math.min(batch, c - i0);
    const copies = activationLeaf(noGrad(() => expand(a, [b, ...a.shape.slice(1)])));
    const outs = reshape(split.head(copies), [b * c]);
    const picks = new IndexTensor(Int32Array.from({ length: b }, (_, i) => i * c + order[i0 + i]!), [b]);
    const [rows] = grad(sum(gather(outs, picks)), copies, { onUnused: 'zeros' });
    for (let i = 0; i < b; i++) m.add(p[order[i0 + i]!]!, rows!.data.subarray(i * per, (i + 1) * per));
  }
  const pc = p[target.classIndex]!;
  for (const e of entries) {
    const [l1, l2, l3] = m.logDerivatives(e);
    d2[e] = pc * (l2 + l1 * l1);
    d3[e] = pc * (l3 + 3 * l1 * l2 + l1 * l1 * l1);
  }
  return true;
}

/**
 * Per element e, the weighted mean, second and third central moments of v_j,e = u_j,e − u_c,e
 * over the classes j with weights p_j, accumulated one class at a time, the target class c first
 * (Pébay's one-pass update: no E[v²] − E[v]² to cancel; and with v_c = 0, nothing is lost where
 * p_c ≈ 1 and the other classes' tiny weights carry the whole spread).
 */
class SoftmaxMoments {
  private w = 0;
  private own: Float64Array | null = null;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private readonly m3: Float64Array;

  constructor(n: number) {
    this.mean = new Float64Array(n);
    this.m2 = new Float64Array(n);
    this.m3 = new Float64Array(n);
  }

  /** Adds one class: its probability p and Jacobian row u (the target class's comes first). */
  add(p: number, u: FloatArray): void {
    const own = (this.own ??= Float64Array.from(u));
    if (p === 0) return;
    const w0 = this.w;
    const w1 = w0 + p;
    for (let e = 0; e < u.length; e++) {
      const d = u[e]! - own[e]! - this.mean[e]!;
      const dn = (d * p) / w1;
      const t = d * dn * w0; // = d²·p·w0/w1
      // m3 += d³·p·w0·(w0 − p)/w1² − 3·d·p·m2/w1 (with the m2 before this class)
      this.m3[e] = this.m3[e]! + (t * d * (w0 - p)) / w1 - 3 * dn * this.m2[e]!;
      this.m2[e] = this.m2[e]! + t;
      this.mean[e] = this.mean[e]! + dn;
    }
    this.w = w1;
  }

  /** ℓ′, ℓ″, ℓ‴ of ℓ = log p_c along element e: −E[v], −Var[v], −κ₃[v] (v = u − u_c). */
  logDerivatives(e: number): [number, number, number] {
    return [-this.mean[e]!, -this.m2[e]! / this.w, -this.m3[e]! / this.w];
  }
}
