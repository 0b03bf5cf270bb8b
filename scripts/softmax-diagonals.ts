// Exact Grad-CAM++ with Y = softmax where one class holds almost all the probability: the
// diagonals by the chain rule and by batched passes, and a 60-digit reference of both.
//
//   npx tsx scripts/softmax-diagonals.ts > /tmp/sm.json && python3 scripts/softmax-diagonals.py /tmp/sm.json
//
// Writes JSON: the head's logits, the Jacobian rows ∂S_j/∂A (float64, from one backward pass per
// class) and the d2, d3 of both routes. The head is piecewise linear (conv, ReLU, max-pool, conv,
// ReLU, average pool, linear), on an activation scaled until p_c = 1 − 4e-23
// (docs/grad-cam-plus-plus.md §2 quotes the result).
import { grad } from '../src/autodiff/grad.js';
import { gather } from '../src/autodiff/ops/indexing.js';
import { reshape } from '../src/autodiff/ops/movement.js';
import { exactDerivatives, prepare } from '../src/cam/gradients.js';
import { activationLeaf } from '../src/cam/split.js';
import { Conv2d, GlobalAvgPool, Identity, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/layers.js';
import { rand } from '../src/tensor/create.js';
import { indices } from '../src/tensor/indexing.js';
import { Rng } from '../src/tensor/rng.js';

const rng = new Rng(31);
const head = new Sequential(new Conv2d(2, 4, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d({ kernelSize: 2 }), new Conv2d(4, 5, 1, { rng }), new ReLU(), new GlobalAvgPool(), new Linear(5, 4, { rng }));
const model = Sequential.named([['features', new Sequential(new Identity())], ['head', head]]).eval();
const a = rand([1, 2, 4, 6], { rng: 32, low: 0.1, high: 1.5 });
a.data.forEach((v, i) => (a.data[i] = 2000 * v));
const target = 2;
const ctx = prepare(model, a, { layer: 'features.0', target });
const leaf = activationLeaf(ctx.split.activation);
const out = reshape(ctx.split.head(leaf), [4]);
const jacobian = [0, 1, 2, 3].map((j) => Array.from(grad(reshape(gather(out, indices([j])), []), leaf, { retainGraph: true })[0]!.data));
const auto = exactDerivatives(ctx, { output: 'softmax' });
const passes = exactDerivatives(ctx, { output: 'softmax', diagonals: 'passes' });
process.stdout.write(JSON.stringify({
  target,
  logits: Array.from(out.data),
  jacobian,
  chainRule: { d2: Array.from(auto.d2.data), d3: Array.from(auto.d3.data), linearHead: auto.linearHead },
  passes: { d2: Array.from(passes.d2.data), d3: Array.from(passes.d3.data) },
}));
