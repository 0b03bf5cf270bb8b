// Lesson 6: Smooth Grad-CAM++ — averaging gradient moments over noisy copies of the input.
//
//   npx tsx examples/06-smooth-grad-cam-plus-plus.ts
//
// For m = 1..n noisy inputs x_m = x + N(0, σ²) (σ = 0.15 of the image's value range) take
// g_m = ∂S/∂A at x_m, and average D1 = mean g_m, D2 = mean g_m², D3 = mean g_m³. With the clean
// activation A: α = D2/(2·D2 + ΣA_k·D3), w_k = Σ_ij α ReLU(D1), map = ReLU(Σ w_k A_k).
// (Omeiza et al. 2019 print D1 in the numerator; torchcam uses D2; camlab offers both.)
import { gradCamPlusPlus, smoothGradCamPlusPlus } from '../src/cam/index.js';
import { bundledModel, sampleImage, fmt } from './lesson-utils.js';

const model = bundledModel('shapes-cnn');
const x = sampleImage('shapes-circle-x3.png', model);

// At the last layer this model's head is global average pooling + linear: g does not depend on the
// input at all, so the noise changes nothing and Smooth Grad-CAM++ equals Grad-CAM++ there.
const last = smoothGradCamPlusPlus(model.module, x, { samples: 8 });
const plain = gradCamPlusPlus(model.module, x);
let d = 0;
for (let i = 0; i < last.upsampled.size; i++) d = Math.max(d, Math.abs(last.upsampled.data[i]! - plain.upsampled.data[i]!));
console.log(`last layer (${last.layer}): largest difference from Grad-CAM++ = ${fmt(d)}`);

// One block earlier the gradient varies with the input, and the averaging matters.
const layer = 'features.10';
const base = gradCamPlusPlus(model.module, x, { layer });
for (const n of [1, 5, 25]) {
  const t0 = performance.now();
  const s = smoothGradCamPlusPlus(model.module, x, { layer, samples: n, seed: 0, trace: true });
  const ms = performance.now() - t0;
  let diff = 0;
  for (let i = 0; i < s.upsampled.size; i++) diff = Math.max(diff, Math.abs(s.upsampled.data[i]! - base.upsampled.data[i]!));
  const t = s.trace!;
  let jensen = 0; // D2 − D1² ≥ 0: the spread of the gradient over the noise
  for (let i = 0; i < t.d1.size; i++) jensen = Math.max(jensen, t.d2!.data[i]! - t.d1.data[i]! ** 2);
  console.log(`layer ${layer}, n = ${String(n).padStart(2)}: max |map − Grad-CAM++ map| = ${fmt(diff)}, max (D2 − D1²) = ${fmt(jensen)}, ${ms.toFixed(0)} ms`);
}

// The same seed gives the same map; explanations can be restricted to chosen feature maps or positions.
const a = smoothGradCamPlusPlus(model.module, x, { layer, samples: 5, seed: 42 });
const b = smoothGradCamPlusPlus(model.module, x, { layer, samples: 5, seed: 42 });
console.log(`same seed, same map: ${a.upsampled.toFlatArray().every((v, i) => v === b.upsampled.data[i])}`);
const top = Array.from(a.weights!.data).map((v, i) => [v, i] as const).sort((p, q) => q[0] - p[0]).slice(0, 3).map(([, i]) => i);
const sub = smoothGradCamPlusPlus(model.module, x, { layer, samples: 5, seed: 42, channels: top });
console.log(`explaining only channels ${top.join(', ')}: ${sub.weights!.toFlatArray().filter((v) => v !== 0).length} non-zero weights`);
for (const preset of ['paper', 'torchcam'] as const) {
  const p = smoothGradCamPlusPlus(model.module, x, { layer, samples: 5, seed: 42, preset });
  let diff = 0;
  for (let i = 0; i < p.upsampled.size; i++) diff = Math.max(diff, Math.abs(p.upsampled.data[i]! - a.upsampled.data[i]!));
  console.log(`preset ${preset}: max difference of the normalized map from camlab's = ${fmt(diff)}`);
}
