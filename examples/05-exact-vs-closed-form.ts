// Lesson 5: the closed form of Grad-CAM++ against the true higher-order derivatives.
//
//   npx tsx examples/05-exact-vs-closed-form.ts
//
// Eq. 19 replaces ∂²Y/∂A² and ∂³Y/∂A³ by g² and g³. That is exact when Y = exp(S) and S is
// piecewise linear in A (ReLU, max-pool, conv, linear, eval-mode batch norm after the layer):
// then ∂²S/∂A² = 0, so ∂²Y/∂A_e² = e^S g_e², ∂³Y/∂A_e³ = e^S g_e³, and e^S cancels in α.
// With a smooth layer after A (tanh, sigmoid, GELU) or another Y it is an approximation;
// camlab computes the exact diagonals with its own higher-order autodiff: by the chain rule above
// where autodiff certifies the head piecewise linear (∂S/∂A does not reach A), else by batched
// second and third backward passes; `diagonals: 'passes'` forces the passes, to check the shortcut.
import { gradCamPlusPlus } from '../src/cam/index.js';
import { Conv2d, GlobalAvgPool, Identity, Linear, MaxPool2d, ReLU, Sequential, Tanh, GELU, type Module } from '../src/nn/index.js';
import { Rng, rand } from '../src/tensor/index.js';
import { bundledModel, sampleImage, fmt } from './lesson-utils.js';

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return den === 0 ? num : num / den;
}

function compare(name: string, model: Module, x: ReturnType<typeof rand>, layer?: string, diagonals: 'auto' | 'passes' = 'auto'): void {
  const base = layer === undefined ? {} : { layer };
  const closed = gradCamPlusPlus(model, x, { ...base, trace: true });
  for (const output of diagonals === 'auto' ? (['exp', 'softmax', 'raw'] as const) : (['exp'] as const)) {
    const t0 = performance.now();
    const exact = gradCamPlusPlus(model, x, { ...base, trace: true, exact: { output, diagonals } });
    const ms = performance.now() - t0;
    console.log(`${name.padEnd(28)} Y=${output.padEnd(7)} ∂²: ${fmt(relDiff(exact.trace!.d2!.data, closed.trace!.d2!.data)).padStart(9)}  ∂³: ${fmt(relDiff(exact.trace!.d3!.data, closed.trace!.d3!.data)).padStart(9)}  α: ${fmt(relDiff(exact.trace!.alpha!.data, closed.trace!.alpha!.data)).padStart(9)}  map: ${fmt(relDiff(exact.upsampled.data, closed.upsampled.data)).padStart(9)}${exact.flat[0] ? ' (flat)' : ''}  ${ms.toFixed(0)} ms`);
  }
}

console.log('relative difference exact vs closed form (max |exact − closed| / max |closed|):');
const shapes = bundledModel('shapes-cnn');
compare('shapes-cnn (ReLU, GAP head)', shapes.module, sampleImage('shapes-cross-x2.png', shapes));

// A deeper head after the layer, piecewise linear, then with a smooth nonlinearity swapped in.
const head = (act: () => Module, seed: number): Module => {
  const rng = new Rng(seed);
  return Sequential.named([
    ['features', new Sequential(new Identity())],
    ['head', new Sequential(new Conv2d(4, 6, 3, { padding: 1, rng }), act(), new MaxPool2d({ kernelSize: 2 }), new Conv2d(6, 6, 1, { rng }), new ReLU(), new GlobalAvgPool(), new Linear(6, 3, { rng }))],
  ]).eval();
};
const a = rand([1, 4, 6, 6], { rng: 1, low: 0.1, high: 1.5 });
compare('conv-ReLU-pool-conv head', head(() => new ReLU(), 3), a, 'features.0');
compare('  the same by batched passes', head(() => new ReLU(), 3), a, 'features.0', 'passes');
compare('conv-tanh-pool-conv head', head(() => new Tanh(), 3), a, 'features.0');
compare('conv-GELU-pool-conv head', head(() => new GELU(), 3), a, 'features.0');
console.log(`
Reading the table: on piecewise-linear heads with Y = exp, exact and closed form agree to
rounding (to the bit by the chain rule, where Y = exp(S − S0) = 1; to ~1e-16 by the batched
passes, which take 3 backward passes per batch of entries instead of one). Y = softmax adds the curvature of the softmax, and Y = raw S has no curvature at all on
a piecewise-linear head (∂²S = ∂³S = 0, so α = 0 and the map is flat). Smooth layers (tanh, GELU)
make the closed form an approximation.`);
