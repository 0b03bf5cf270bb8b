// Lesson 7: attention rollout by hand on a two-block Vision Transformer, then with the library.
//
//   npx tsx examples/07-attention.ts
//
// A ViT cuts the picture into patches, turns each into a token, puts a class token in front and
// lets every token attend to every other one in each block: A_l[h, i, j] is how much token i
// reads token j in head h of block l (each row sums to 1). The class token's row of the last
// block says what the classifier reads, but only one block deep. Attention rollout (Abnar &
// Zuidema 2020) follows the attention through the blocks: the residual connection keeps half of
// each token, so each block is Ã = rownorm(mean_h A + I), and R = Ã_2·Ã_1 says how much of each
// input patch reaches each token after both blocks. Its class-token row, R[0, 1:], laid on the
// 8x8 patch grid, is the map. Gradient rollout (Chefer et al. 2021) weights the attention by
// the class score's gradient first: R ← R + mean_h (∂S/∂A ⊙ A)⁺ · R.
import { grad, gather, reshape } from '../src/index.js';
import { attentionLayers, attentionRollout, gradCamPlusPlusRollout, gradientRollout, rolloutSummary } from '../src/cam/index.js';
import { indices, type Tensor } from '../src/tensor/index.js';
import { bundledModel, sampleImage, fmt } from './lesson-utils.js';

const model = bundledModel('shapes-vit');
const x = sampleImage('shapes-triangle-x3.png', model);

// 1. Run the model once with a hook on each block's attention tap (`…self_attention.attn`): the
//    probabilities [1, H, S, S] (S = 1 class token + 64 patches), kept as graph tensors.
const taps = attentionLayers(model.module);
const seen: Tensor[] = [];
const hooks = taps.map((name) => model.module.get(name).registerForwardHook((p) => void seen.push(p)));
model.module.eval();
const logits = model.module.call(x);
for (const h of hooks) h.remove();
const c = Array.from(logits.data).indexOf(Math.max(...logits.data));
const [, heads, S] = seen[0]!.shape as [number, number, number];
console.log(`${taps.length} blocks, ${heads} head(s), S = ${S} tokens; predicted ${model.spec.classes[c]}`);

// 2. Attention rollout in plain loops: fuse the heads (mean), add I, normalize the rows, multiply.
type Matrix = number[][];
const eye = (): Matrix => Array.from({ length: S }, (_, i) => Array.from({ length: S }, (_, j) => (i === j ? 1 : 0)));
const matmul = (a: Matrix, b: Matrix): Matrix => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const fused = (t: Tensor, f: (v: number, i: number, j: number, h: number) => number): Matrix =>
  Array.from({ length: S }, (_, i) => Array.from({ length: S }, (_, j) => {
    let s = 0;
    for (let h = 0; h < heads; h++) s += f(t.data[(h * S + i) * S + j]!, i, j, h);
    return s / heads;
  }));
let R = eye();
for (const a of seen) {
  const plusI = fused(a, (v) => v).map((row, i) => row.map((v, j) => v + (i === j ? 1 : 0)));
  const normalized = plusI.map((row) => row.map((v) => v / row.reduce((s, u) => s + u, 0)));
  R = matmul(normalized, R);
}
const byHand = R[0]!.slice(1);
const lib = attentionRollout(model.module, x);
const diff = Math.max(...byHand.map((v, i) => Math.abs(v - lib.map.data[i]!)));
console.log(`attention rollout by hand vs attentionRollout(): largest difference = ${fmt(diff)}`);
console.log(`the class token keeps ${fmt(R[0]![0]!)} of itself; the strongest patch is #${byHand.indexOf(Math.max(...byHand))} of 64`);

// 3. Gradient rollout: ∂S/∂A_l through every later block, from one backward pass.
const S_c = reshape(gather(logits, indices([c])), []);
const grads = grad(S_c, seen);
let G = eye();
seen.forEach((a, l) => {
  const weighted = fused(a, (v, i, j, h) => Math.max(0, v * grads[l]!.data[(h * S + i) * S + j]!));
  G = G.map((row, i) => row.map((v, j) => v + weighted[i]!.reduce((s, w, k) => s + w * G[k]![j]!, 0)));
});
const gradLib = gradientRollout(model.module, x, { target: c });
const gdiff = Math.max(...G[0]!.slice(1).map((v, i) => Math.abs(v - gradLib.map.data[i]!)));
console.log(`gradient rollout by hand vs gradientRollout(): largest difference = ${fmt(gdiff)}`);

// 4. Grad-CAM++ rollout replaces ∂S/∂A by α·ReLU(g) with α = g²/(2g² + ΣA·g³) (the closed form)
//    or the true ∂²Y/∂A², ∂³Y/∂A³ (exact). Softmax is smooth, so the two differ: by how much?
const closed = gradCamPlusPlusRollout(model.module, x, { target: c, trace: true });
const t0 = performance.now();
const exact = gradCamPlusPlusRollout(model.module, x, { target: c, trace: true, exact: true });
const seconds = (performance.now() - t0) / 1000;
rolloutSummary(closed.rolloutTrace!).forEach((b, l) => {
  const e = rolloutSummary(exact.rolloutTrace!)[l]!;
  console.log(`block ${l}: α where g > 0, closed form ${fmt(b.alpha!.min)}..${fmt(b.alpha!.max)} (mean ${fmt(b.alpha!.mean)}), exact ${fmt(e.alpha!.min)}..${fmt(e.alpha!.max)} (mean ${fmt(e.alpha!.mean)})`);
});
const mdiff = Math.max(...Array.from(exact.upsampled.data, (v, i) => Math.abs(v - closed.upsampled.data[i]!)));
console.log(`exact vs closed-form Grad-CAM++ rollout: largest difference of the normalized maps = ${fmt(mdiff)} (exact took ${seconds.toFixed(1)} s)`);
if (diff > 1e-12 || gdiff > 1e-12) throw new Error('the hand-computed rollout differs from the library');
