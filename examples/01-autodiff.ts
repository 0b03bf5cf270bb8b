/**
 * Lesson 1: reverse-mode autodiff of any order.
 *
 * Run with:  npx tsx examples/01-autodiff.ts
 *
 * camlab works like PyTorch's autograd: mark a leaf tensor with `requiresGrad`, compute with the
 * differentiable ops, and ask `grad(outputs, inputs)` for gradients. With `createGraph: true` the
 * gradient is itself a graph tensor, so it can be differentiated again — to any order. This is what
 * the exact Grad-CAM++ needs (second and third derivatives of the class score).
 */
import { exp, grad, matmul, mul, requiresGrad, sum, tanh, tensor, type Tensor } from '../src/index.js';

const fmt = (v: number): string => v.toFixed(12).padStart(17);
const list = (t: Tensor | number[]): string => Array.from(t instanceof Array ? t : t.data, (v) => v.toFixed(6)).join(', ');

// ------------------------------------------------------------------------------------------------
// 1. f(x) = x·eˣ and its first three derivatives.
//
// By hand:  f'(x) = (x + 1)eˣ,  f''(x) = (x + 2)eˣ,  f'''(x) = (x + 3)eˣ.
// Each call to grad with createGraph returns a tensor that remembers how it was computed, so the
// next call can differentiate it again. The last call does not need createGraph.
console.log('1. f(x) = x·exp(x): derivatives by autodiff vs by hand');
console.log('       x   order            autodiff             by hand');
for (const x0 of [-1.5, 0, 0.7, 2]) {
  const x = requiresGrad(tensor([x0]));
  const f = mul(x, exp(x));
  const [d1] = grad(f, x, { createGraph: true }); // f'(x) as a graph tensor
  const [d2] = grad(d1!, x, { createGraph: true }); // f''(x)
  const [d3] = grad(d2!, x); // f'''(x), a plain tensor
  const byHand = [x0 + 1, x0 + 2, x0 + 3].map((k) => k * Math.exp(x0));
  [d1!, d2!, d3!].forEach((d, k) => {
    console.log(`${x0.toFixed(2).padStart(8)}   f${"'".repeat(k + 1).padEnd(5)}${fmt(d.item())}   ${fmt(byHand[k]!)}`);
  });
}
let worst = 0;
for (let x0 = -2; x0 <= 2; x0 += 0.25) {
  const x = requiresGrad(tensor([x0]));
  const [d1] = grad(mul(x, exp(x)), x, { createGraph: true });
  const [d2] = grad(d1!, x, { createGraph: true });
  const [d3] = grad(d2!, x);
  [d1!, d2!, d3!].forEach((d, k) => {
    worst = Math.max(worst, Math.abs(d.item() - (x0 + k + 1) * Math.exp(x0)) / Math.exp(x0));
  });
}
console.log(`x·exp(x): largest relative difference to the hand-derived formulas on [-2, 2]: ${worst.toExponential(2)}`);

// ------------------------------------------------------------------------------------------------
// 2. tanh: t = tanh(x),  t' = 1 − t²,  t'' = −2t(1 − t²),  t''' = (6t² − 2)(1 − t²).
//
// For a tensor x, grad of sum(tanh(x)) gives every element's derivative at once (the function is
// element-wise, so the Jacobian is diagonal). Repeating with createGraph gives the higher ones.
console.log('\n2. tanh on a vector: three orders at once');
const xs = [-1.2, -0.3, 0.5, 1.7];
const x = requiresGrad(tensor(xs));
const [t1] = grad(sum(tanh(x)), x, { createGraph: true });
const [t2] = grad(sum(t1!), x, { createGraph: true });
const [t3] = grad(sum(t2!), x);
const th = xs.map(Math.tanh);
const hand = [
  th.map((t) => 1 - t * t),
  th.map((t) => -2 * t * (1 - t * t)),
  th.map((t) => (6 * t * t - 2) * (1 - t * t)),
];
[t1!, t2!, t3!].forEach((d, k) => {
  const err = Math.max(...Array.from(d.data, (v, i) => Math.abs(v - hand[k]![i]!)));
  console.log(`tanh${"'".repeat(k + 1).padEnd(3)} autodiff [${list(d)}]`);
  console.log(`        by hand  [${list(hand[k]!)}]   max |difference| ${err.toExponential(2)}`);
});

// ------------------------------------------------------------------------------------------------
// 3. The gradient of a small tensor function: L(W) = Σ tanh(W·v) for a 2x3 matrix W.
//
// By hand: ∂L/∂W_ij = (1 − tanh²((Wv)_i))·v_j, an outer product.
console.log('\n3. L(W) = sum(tanh(W·v)) for W of shape [2,3]');
const W = requiresGrad(tensor([[0.5, -1, 0.25], [1.5, 0.3, -0.7]]));
const v = tensor([1, 2, -1]);
const L = sum(tanh(matmul(W, v)));
const [dW] = grad(L, W);
const Wv = [0, 1].map((i) => [0, 1, 2].reduce((s, j) => s + W.get(i, j) * v.get(j), 0));
const dWHand = [0, 1].flatMap((i) => [0, 1, 2].map((j) => (1 - Math.tanh(Wv[i]!) ** 2) * v.get(j)));
console.log(`L = ${L.item().toFixed(6)}`);
console.log(`dL/dW autodiff  [${list(dW!)}]  (shape [${dW!.shape.join(',')}])`);
console.log(`dL/dW by hand   [${list(dWHand)}]`);
const errW = Math.max(...Array.from(dW!.data, (g, i) => Math.abs(g - dWHand[i]!)));
console.log(`max |difference| ${errW.toExponential(2)}`);

if (worst > 1e-12 || errW > 1e-12 || [t1!, t2!, t3!].some((d, k) => Array.from(d.data).some((g, i) => Math.abs(g - hand[k]![i]!) > 1e-12))) {
  console.log('MISMATCH: autodiff disagrees with the hand-derived formulas');
  process.exitCode = 1;
} else {
  console.log('\nAll derivatives match the hand-derived formulas.');
}
