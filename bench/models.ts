/**
 * Model-level rows: the small CNN of the autodiff issue (forward; forward + ∂S/∂A at the last conv;
 * a second-order pass), training throughput of shapes-cnn, the CAM methods on shapes-cnn, and a
 * ResNet-18-shaped network at 224x224 — ours against the same networks written in tfjs-cpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import { grad } from '../src/autodiff/grad.js';
import { noGrad } from '../src/autodiff/mode.js';
import { requiresGrad } from '../src/autodiff/node.js';
import { gather } from '../src/autodiff/ops/indexing.js';
import { reshape } from '../src/autodiff/ops/movement.js';
import { sum } from '../src/autodiff/ops/reduce.js';
import { exp } from '../src/autodiff/ops/unary.js';
import { gradCam } from '../src/cam/gradcam.js';
import { gradCamPlusPlus } from '../src/cam/gradcampp.js';
import { layerGradients, prepare } from '../src/cam/gradients.js';
import { smoothGradCamPlusPlus } from '../src/cam/smooth.js';
import { shapesTrainSet } from '../src/data/datasets.js';
import { backward } from '../src/autodiff/grad.js';
import { heInit } from '../src/nn/init.js';
import { Conv2d, GlobalAvgPool, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/layers.js';
import { crossEntropy } from '../src/nn/losses.js';
import { Adam } from '../src/nn/optim.js';
import { buildModel } from '../src/nn/spec.js';
import { makeBatch } from '../src/nn/train.js';
import { resnet18Spec, shapesCnnSpec } from '../src/nn/zoo.js';
import { clone, randn } from '../src/tensor/create.js';
import { indices } from '../src/tensor/indexing.js';
import { Rng } from '../src/tensor/rng.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { lazy, register, type Baseline } from './harness.js';
import { registerHeadGradients } from './tfjs-grads.js';
import { tfResnet18, tfSmallCnn } from './tfjs-nets.js';

// ---- the small CNN (issue 3) ---------------------------------------------------------------------

const smallCnn = lazy(() => {
  const rng = new Rng(1);
  const m = Sequential.named([
    ['features', new Sequential(
      new Conv2d(3, 16, 3, { padding: 1, rng, dtype: 'float32' }), new ReLU(), new MaxPool2d({ kernelSize: 2 }),
      new Conv2d(16, 32, 3, { padding: 1, rng, dtype: 'float32' }), new ReLU(), new MaxPool2d({ kernelSize: 2 }),
      new Conv2d(32, 64, 3, { padding: 1, rng, dtype: 'float32' }), new ReLU(),
    )],
    ['pool', new GlobalAvgPool()],
    ['classifier', new Linear(64, 10, { rng, dtype: 'float32' })],
  ]).eval();
  return { model: m, x: randn([1, 3, 64, 64], { rng: 2, dtype: 'float32' }) };
});
const tfSmall = lazy(() => (registerHeadGradients(), { net: tfSmallCnn(), x: tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D }));
const SMALL = '1x3x64x64 → 3 convs, GAP, fc 10';

const tfSmallForward: Baseline = {
  key: 'tfjs-small-fwd',
  label: 'tfjs small CNN forward',
  run: () => {
    const { net, x } = tfSmall();
    tf.tidy(() => net.head(net.lower(x)).dataSync());
  },
};
const tfSmallGrad: Baseline = {
  key: 'tfjs-small-grad',
  label: 'tfjs small CNN forward + dS/dA',
  run: () => {
    const { net, x } = tfSmall();
    tf.tidy(() => {
      const a = net.lower(x);
      const onehot = tf.cast(tf.oneHot([3], 10), 'float32');
      tf.grad((h: tf.Tensor) => tf.sum(tf.mul(net.head(h as tf.Tensor4D), onehot)))(a).dataSync();
    });
  },
};

register({ name: 'small CNN forward', shape: SMALL, dtype: 'float32', flops: 0, ours: () => noGrad(() => smallCnn().model.call(smallCnn().x)), baseline: tfSmallForward });
register({
  name: 'small CNN forward + dS/dA',
  shape: `${SMALL}; A = last conv`,
  dtype: 'float32',
  flops: 0,
  ours: () => {
    const { model, x } = smallCnn();
    layerGradients(prepare(model, x, { layer: 'features.7', target: 3 }));
  },
  baseline: tfSmallGrad,
});
register({
  name: 'small CNN d/dx sum(d exp(S)/dx)',
  shape: `${SMALL}; second order`,
  dtype: 'float32',
  flops: 0,
  ours: () => {
    const { model, x } = smallCnn();
    const leaf = requiresGrad(clone(x));
    const s = reshape(gather(model.call(leaf), indices([3])), []);
    const [g] = grad(exp(s), leaf, { createGraph: true });
    grad(sum(g!), leaf);
  },
  costIn: [tfSmallForward],
});

// ---- shapes-cnn: training throughput (issue 4) and the CAM methods (issue 5) ----------------------

const shapes = lazy(() => {
  const spec = shapesCnnSpec();
  const model = buildModel({ ...spec, dtype: 'float32' }, new Rng(0));
  heInit(model.namedParameters(), new Rng(1));
  const batch = makeBatch(shapesTrainSet(0, 32), Array.from({ length: 32 }, (_, i) => i), 0, spec.input, 'float32');
  return { spec, model, batch, optim: new Adam(model.parameters(), { lr: 1e-3 }) };
});
register({
  name: 'train step shapes-cnn',
  shape: 'batch 32 x 3x64x64, Adam',
  dtype: 'float32',
  flops: 0,
  ours: () => {
    const { model, batch, optim } = shapes();
    model.train();
    optim.zeroGrad();
    backward(crossEntropy(model.call(batch.x), batch.labels));
    optim.step();
  },
  oursTiming: { budgetMs: 3000 },
  throughput: { count: 32, unit: 'images' },
});

const camModel = lazy(() => {
  const spec = shapesCnnSpec();
  const model = buildModel(spec, new Rng(0));
  heInit(model.namedParameters(), new Rng(1));
  model.eval();
  return { model, x: randn([1, 3, 64, 64], { rng: 5 }) };
});
const ourShapesForward: Baseline = {
  key: 'ours-shapes-fwd',
  label: 'shapes-cnn forward',
  run: () => noGrad(() => camModel().model.call(camModel().x)),
};
const oneGradCam: Baseline = { key: 'ours-shapes-gradcam', label: 'Grad-CAM', run: () => gradCam(camModel().model, camModel().x) };
const closedForm: Baseline = { key: 'ours-shapes-gradcampp', label: 'closed-form Grad-CAM++', run: () => gradCamPlusPlus(camModel().model, camModel().x) };
register({ name: 'Grad-CAM', shape: 'shapes-cnn 1x3x64x64', dtype: 'float64', flops: 0, ours: oneGradCam.run, costIn: [ourShapesForward] });
register({ name: 'Grad-CAM++ closed form', shape: 'shapes-cnn 1x3x64x64', dtype: 'float64', flops: 0, ours: closedForm.run, costIn: [ourShapesForward] });
register({
  name: 'Grad-CAM++ exact (Y = exp)',
  shape: 'shapes-cnn 1x3x64x64, last conv 32x8x8',
  dtype: 'float64',
  flops: 0,
  ours: () => gradCamPlusPlus(camModel().model, camModel().x, { exact: true }),
  costIn: [closedForm],
});
// At the last layer of a GAP + linear head the noise changes nothing (g is constant), so the
// smoothing rows explain features.10 and are compared with Grad-CAM at the same layer.
const gradCamF10: Baseline = { key: 'ours-shapes-gradcam-f10', label: 'Grad-CAM at features.10', run: () => gradCam(camModel().model, camModel().x, { layer: 'features.10' }) };
for (const n of [5, 25]) {
  register({
    name: `Smooth Grad-CAM++ n=${n}`,
    shape: 'shapes-cnn 1x3x64x64, features.10',
    dtype: 'float64',
    flops: 0,
    ours: () => smoothGradCamPlusPlus(camModel().model, camModel().x, { samples: n, layer: 'features.10' }),
    costIn: [gradCamF10],
  });
}

// ---- ResNet-18 at 224x224 (issue 5) --------------------------------------------------------------

const resnet = lazy(() => {
  const model = buildModel({ ...resnet18Spec(), dtype: 'float32' }, new Rng(0));
  model.eval();
  return { model, x: randn([1, 3, 224, 224], { rng: 6, dtype: 'float32' }) };
});
const tfResnet = lazy(() => ({ net: tfResnet18(), x: tf.randomNormal([1, 224, 224, 3], 0, 1, 'float32', 7) as tf.Tensor4D }));
const tfResnetForward: Baseline = {
  key: 'tfjs-resnet18-fwd',
  label: 'tfjs ResNet-18 forward',
  run: () => {
    const { net, x } = tfResnet();
    tf.tidy(() => net(x).dataSync());
  },
  timing: { warmup: 1, minReps: 2, maxReps: 3, budgetMs: 8000 },
};
const slow = { warmup: 1, minReps: 3, maxReps: 6, budgetMs: 6000 };
register({ name: 'ResNet-18 forward', shape: '1x3x224x224', dtype: 'float32', flops: 2 * 1.814e9, ours: () => noGrad(() => resnet().model.call(resnet().x)), oursTiming: slow, baseline: tfResnetForward });
register({
  name: 'ResNet-18 Grad-CAM++',
  shape: '1x3x224x224, layer4.1',
  dtype: 'float32',
  flops: 0,
  ours: (): Tensor => gradCamPlusPlus(resnet().model, resnet().x).upsampled,
  oursTiming: slow,
  baseline: tfResnetForward,
});
