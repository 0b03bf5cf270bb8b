// Lesson 3: Grad-CAM by hand, then with the library — the two agree exactly.
//
//   npx tsx examples/03-grad-cam-by-hand.ts
//
// Grad-CAM (Selvaraju et al. 2017) explains a class score S with the activation A [K,h,w] of a
// layer: weight each channel by its average gradient w_k = mean_ij ∂S/∂A_k,ij, sum the weighted
// channels, keep the positive part: map = ReLU(Σ_k w_k A_k).
import { grad, requiresGrad, detach, gather, reshape } from '../src/index.js';
import { gradCam, splitAt, defaultLayer } from '../src/cam/index.js';
import { indices } from '../src/tensor/index.js';
import { bundledModel, sampleImage, fmt } from './lesson-utils.js';

const model = bundledModel('shapes-cnn');
const x = sampleImage('shapes-triangle-x3.png', model);

// 1. Cut the network at the layer: A is its activation, `head` the rest of the network as a
//    differentiable function of A.
const layer = defaultLayer(model.module, x);
const { activation, head, output } = splitAt(model.module, x, layer);
const [, k, h, w] = activation.shape as number[];
const c = Array.from(output.data).indexOf(Math.max(...output.data)); // predicted class
console.log(`layer ${layer}: A has ${k} channels of ${h}x${w}; predicted class ${model.spec.classes[c]} (score ${fmt(output.data[c]!)})`);

// 2. S as a function of a leaf copy of A, and its gradient g = ∂S/∂A.
const leaf = requiresGrad(detach(activation));
const S = reshape(gather(head(leaf), indices([c])), []);
const [g] = grad(S, leaf);

// 3. Channel weights and the map, in plain loops.
const weights: number[] = [];
for (let ch = 0; ch < k!; ch++) {
  let s = 0;
  for (let i = 0; i < h! * w!; i++) s += g!.data[ch * h! * w! + i]!;
  weights.push(s / (h! * w!));
}
const map: number[] = [];
for (let i = 0; i < h! * w!; i++) {
  let s = 0;
  for (let ch = 0; ch < k!; ch++) s += weights[ch]! * activation.data[ch * h! * w! + i]!;
  map.push(Math.max(s, 0));
}
console.log('largest weights:', weights.map((v, i) => [i, v] as const).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([i, v]) => `channel ${i}: ${fmt(v)}`).join(', '));

// 4. The library does the same (plus upsampling to 64x64 and min-max normalization).
const lib = gradCam(model.module, x, { layer, target: c });
const maxDiff = Math.max(...map.map((v, i) => Math.abs(v - lib.map.data[i]!)));
console.log(`by hand vs gradCam(): largest difference in the map = ${maxDiff}`);
console.log(`upsampled map ${lib.upsampled.shape.join('x')}, values in [${Math.min(...lib.upsampled.data)}, ${Math.max(...lib.upsampled.data)}]`);
if (maxDiff > 1e-12) throw new Error('the hand-computed map differs from the library');
