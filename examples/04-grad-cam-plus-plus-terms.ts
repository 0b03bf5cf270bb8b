// Lesson 4: every term of Grad-CAM++ on a real image, and what the well-known implementations
// change.
//
//   npx tsx examples/04-grad-cam-plus-plus-terms.ts
//
// Grad-CAM++ (Chattopadhay et al. 2018, eq. 19) weights each position of each channel:
//   α_k,ij = g² / (2g² + ΣA_k · g³)      (g = ∂S/∂A_k,ij, ΣA_k = Σ_ab A_k,ab; α = 0 where the denominator is 0)
//   w_k    = Σ_ij α_k,ij · ReLU(g_k,ij)
//   map    = ReLU(Σ_k w_k A_k)
// Where g is constant over a channel (a global-average-pooling head), α = 1/(2 + g·ΣA_k) and
// w_k = hw·ReLU(g)/(2 + g·ΣA_k): channels with a large total activation are damped.
import { channelSummary, gradCam, gradCamPlusPlus, GRAD_CAM_PP_PRESETS, type GradCamPlusPlusPreset } from '../src/cam/index.js';
import { bundledModel, sampleImage, fmt } from './lesson-utils.js';

const model = bundledModel('shapes-cnn');
const x = sampleImage('shapes-square-x2.png', model);
const r = gradCamPlusPlus(model.module, x, { trace: true });
const t = r.trace!;
const [, k, h, w] = t.A.shape as number[];
const hw = h! * w!;
console.log(`explaining '${model.spec.classes[r.classes[0]!]}' at layer ${r.layer} (${k} channels, ${h}x${w}); derivatives: ${t.derivatives}`);
console.log('channel   ΣA_k      mean g     α (min..max)          w_k');
// channelSummary gives each channel's terms from the trace: ΣA_k, mean g, α's range, w_k.
const channels = channelSummary(t).sort((a, b) => b.weight! - a.weight!);
for (const c of channels.slice(0, 8)) {
  console.log(`${String(c.channel).padStart(7)}  ${fmt(c.sumA).padStart(8)}  ${fmt(c.meanGrad).padStart(9)}  ${fmt(c.alpha!.min).padStart(9)}..${fmt(c.alpha!.max).padEnd(9)}  ${fmt(c.weight!).padStart(9)}`);
}
const order = channels.map((c) => c.channel);

// This model ends in global average pooling + one linear layer, so g is the same at every position
// of a channel and α = 1/(2 + g·ΣA_k) exactly:
const ch = order[0]!;
const g0 = t.d1.data[ch * hw]!;
console.log(`channel ${ch}: α = ${fmt(t.alpha!.data[ch * hw]!)}, 1/(2 + g·ΣA) = ${fmt(1 / (2 + g0 * t.sumA!.data[ch]!))}`);

// Grad-CAM for comparison: w_k = mean g. Grad-CAM++ damps channels with large ΣA_k relative to Grad-CAM.
const gc = gradCam(model.module, x);
console.log(`Grad-CAM weight of channel ${ch}: ${fmt(gc.weights!.data[ch]!)} vs Grad-CAM++ ${fmt(r.weights!.data[ch]!)}`);

// The presets reproduce other implementations' α (see docs/grad-cam-plus-plus.md).
for (const preset of Object.keys(GRAD_CAM_PP_PRESETS) as GradCamPlusPlusPreset[]) {
  const p = gradCamPlusPlus(model.module, x, { preset });
  let diff = 0;
  for (let i = 0; i < p.upsampled.size; i++) diff = Math.max(diff, Math.abs(p.upsampled.data[i]! - r.upsampled.data[i]!));
  console.log(`preset ${preset.padEnd(17)} largest difference of the normalized map from camlab's: ${fmt(diff)}`);
}
