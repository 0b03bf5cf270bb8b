/**
 * Model-level rows: the small CNN of the autodiff issue (forward; Grad-CAM; a second-order pass),
 * training throughput of shapes-cnn, the CAM methods on shapes-cnn, and ResNet-18 at 224x224
 * (forward, Grad-CAM++, Smooth Grad-CAM++) — ours against the same networks written in tfjs
 * (cpu and wasm backends) and, for ResNet-18, onnxruntime-web on the same weights (ONNX export of
 * a seeded torchvision ResNet-18, scripts/make-bench-models.py).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { makeBatch, train } from '../src/nn/train.js';
import type { ModelSpec } from '../src/nn/spec.js';
import { TrainWorkers } from '../src/node/train-workers.js';
import { trainingModel } from '../src/cli/train.js';
import { resnet18Spec, shapesCnnSpec } from '../src/nn/zoo.js';
import { clone, randn } from '../src/tensor/create.js';
import { indices } from '../src/tensor/indexing.js';
import { Rng } from '../src/tensor/rng.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { loadModel } from '../src/io/model.js';
import type { Module } from '../src/nn/module.js';
import { Tensor as CamlabTensor } from '../src/tensor/tensor.js';
import { ensureModels, MODELS, ort, ortBaseline, tf, tfBaseline } from './baselines.js';
import { lazy, register, type Baseline, type TimingOptions } from './harness.js';
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
const SMALL = '1x3x64x64 → 3 convs, GAP, fc 10';

const tfSmallForward = (backend: 'cpu' | 'wasm'): Baseline =>
  tfBaseline(backend, 'small-fwd', 'small CNN forward', () => ({ net: tfSmallCnn(), x: tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D }), ({ net, x }) => net.head(net.lower(x)));
const tfSmallGrad = (backend: 'cpu' | 'wasm'): Baseline =>
  tfBaseline(
    backend, 'small-grad', 'small CNN forward + dS/dA',
    () => (registerHeadGradients(), { net: tfSmallCnn(), x: tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D }),
    ({ net, x }) => {
      const a = net.lower(x);
      const onehot = tf.cast(tf.oneHot([3], 10), 'float32');
      return tf.grad((h: tf.Tensor) => tf.sum(tf.mul(net.head(h as tf.Tensor4D), onehot)))(a);
    },
  );
const smallFwdBase = [tfSmallForward('cpu'), tfSmallForward('wasm')];
const smallGradBase = [tfSmallGrad('cpu'), tfSmallGrad('wasm')];

register({ name: 'small CNN forward', shape: SMALL, dtype: 'float32', flops: 0, ours: () => noGrad(() => smallCnn().model.call(smallCnn().x)), baselines: smallFwdBase });
register({
  name: 'small CNN forward + dS/dA',
  shape: `${SMALL}; A = last conv`,
  dtype: 'float32',
  flops: 0,
  ours: () => {
    const { model, x } = smallCnn();
    layerGradients(prepare(model, x, { layer: 'features.7', target: 3 }));
  },
  baselines: smallGradBase,
});
register({
  name: 'small CNN Grad-CAM',
  shape: `${SMALL}; A = last conv`,
  dtype: 'float32',
  flops: 0,
  ours: () => gradCam(smallCnn().model, smallCnn().x, { layer: 'features.7', target: 3 }),
  baselines: smallGradBase,
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
  costIn: [smallFwdBase[0]!],
});

// ---- shapes-cnn: training throughput (issue 4) and the CAM methods (issue 5) ----------------------

const shapes = lazy(() => {
  const spec = shapesCnnSpec();
  const model = trainingModel(spec, 0);
  const batch = makeBatch(shapesTrainSet(0, 32), Array.from({ length: 32 }, (_, i) => i), 0, spec.input, 'float32');
  return { spec, model, batch, optim: new Adam(model.parameters(), { lr: 1e-3 }) };
});
/** Rows `name` on 1 and 2 threads: one training step (forward, cross-entropy, backward, Adam) on a batch of 32 shapes images. */
export function registerTrainStep(name: string, setup: () => { model: Module; batch: ReturnType<typeof makeBatch>; optim: Adam }): void {
  for (const threads of [1, 2]) {
    register({
      name,
      shape: 'batch 32 x 3x64x64, Adam',
      dtype: 'float32',
      threads,
      flops: 0,
      ours: () => {
        const { model, batch, optim } = setup();
        model.train();
        optim.zeroGrad();
        backward(crossEntropy(model.call(batch.x), batch.labels));
        optim.step();
      },
      oursTiming: { budgetMs: 3000 },
      throughput: { count: 32, unit: 'images' },
    });
  }
}
registerTrainStep('train step shapes-cnn', shapes);

/**
 * Row `name`: one epoch of `camlab train` on 320 freshly generated shapes images (10 steps of
 * `batch`; generating the pictures counts) in 2 micro-batches, the second on a worker thread,
 * against the same epoch in one batch on one thread (the same process).
 */
export function registerMicroBatchEpoch(name: string, spec: () => ModelSpec, batch: number): void {
  const images = 320;
  const setup = lazy(() => {
    const s = spec();
    const model = trainingModel(s, 0);
    const runner = new TrainWorkers(model, { spec: s, data: { kind: 'shapes', seed: 0, size: images }, normalize: s.input }, 1, Math.ceil(batch / 2));
    return { s, model, single: trainingModel(s, 0), runner, data: shapesTrainSet(0, images) };
  });
  const epoch = (micro: 1 | 2): void => {
    const { s, model, single, runner, data } = setup();
    train(micro === 1 ? single : model, data, { epochs: 1, batchSize: batch, seed: 0, lr: 1e-3, normalize: s.input, ...(micro === 2 ? { microBatches: 2, runner } : {}) });
  };
  const once: TimingOptions = { warmup: 1, minReps: 3, budgetMs: 5000 };
  register({
    name,
    shape: `${images} images, batch ${batch}, 2 micro-batches on 2 threads`,
    dtype: 'float32',
    flops: 0,
    ours: () => epoch(2),
    oursTiming: once,
    throughput: { count: images, unit: 'images' },
    costIn: [{ key: `ours-epoch-${name}`, id: 'camlab', threads: 1, label: `the same epoch in one batch on one thread`, run: () => epoch(1), timing: once }],
  });
}
registerMicroBatchEpoch('train epoch shapes-cnn', shapesCnnSpec, 32);

const camModel = lazy(() => {
  const spec = shapesCnnSpec();
  const model = buildModel(spec, new Rng(0));
  heInit(model.namedParameters(), new Rng(1));
  model.eval();
  return { model, x: randn([1, 3, 64, 64], { rng: 5 }) };
});
/** One of our own computations, as the unit another row's time is expressed in. */
const ownUnit = (key: string, label: string, run: () => unknown): Baseline => ({ key, id: 'camlab', threads: 1, label, run });
const ourShapesForward = ownUnit('ours-shapes-fwd', 'shapes-cnn forward', () => noGrad(() => camModel().model.call(camModel().x)));
const oneGradCam = ownUnit('ours-shapes-gradcam', 'Grad-CAM', () => gradCam(camModel().model, camModel().x));
const closedForm = ownUnit('ours-shapes-gradcampp', 'closed-form Grad-CAM++', () => gradCamPlusPlus(camModel().model, camModel().x));
register({ name: 'Grad-CAM', shape: 'shapes-cnn 1x3x64x64', dtype: 'float64', flops: 0, ours: oneGradCam.run, costIn: [ourShapesForward] });
register({ name: 'Grad-CAM++ closed form', shape: 'shapes-cnn 1x3x64x64', dtype: 'float64', flops: 0, ours: closedForm.run, costIn: [ourShapesForward] });
// shapes-cnn's head is piecewise linear after either layer, so exact Grad-CAM++ takes the chain
// rule (one backward pass); the 'passes' rows time the batched higher-order extraction that a head
// with curvature (tanh, GELU, attention) needs, on the same layers.
for (const [shape, layer, threads] of [['last conv 32x8x8', undefined, 1], ['features.10', 'features.10', 2]] as const) {
  const passesTiming = layer === undefined ? undefined : { warmup: 0, minReps: 1, maxReps: 3, budgetMs: 1 };
  register({
    name: 'Grad-CAM++ exact (Y = exp)',
    shape: `shapes-cnn 1x3x64x64, ${shape}`,
    dtype: 'float64',
    threads,
    flops: 0,
    ours: () => gradCamPlusPlus(camModel().model, camModel().x, { exact: true, ...(layer ? { layer } : {}) }),
    costIn: [closedForm],
  });
  register({
    name: 'Grad-CAM++ exact (Y = exp), diagonals by batched passes',
    shape: `shapes-cnn 1x3x64x64, ${shape}`,
    dtype: 'float64',
    threads,
    flops: 0,
    ours: () => gradCamPlusPlus(camModel().model, camModel().x, { exact: { diagonals: 'passes' }, ...(layer ? { layer } : {}) }),
    ...(passesTiming ? { oursTiming: passesTiming } : {}),
    costIn: [closedForm],
  });
}
// At the last layer of a GAP + linear head the noise changes nothing (g is constant), so the
// smoothing rows explain features.10 and are compared with Grad-CAM at the same layer.
const gradCamF10 = ownUnit('ours-shapes-gradcam-f10', 'Grad-CAM at features.10', () => gradCam(camModel().model, camModel().x, { layer: 'features.10' }));
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

// ---- ResNet-18 at 224x224 ----------------------------------------------------------------------

/**
 * camlab runs the weights of bench/.models/resnet18.safetensors through its own ResNet-18 spec
 * (resnet18Architecture); onnxruntime-web runs resnet18.onnx, the same weights exported by
 * torch.onnx; tfjs runs the same architecture written in its ops (tfjs-nets.ts, its own random
 * weights). Each checks nothing about the others' numbers; scripts/make-bench-models.py writes the
 * PyTorch logits of a seeded input, which camlab and onnxruntime-web both match to ~1e-5.
 */
const modelsMissing = ensureModels();
if (modelsMissing !== null) process.stderr.write(`bench: ResNet-18 rows against onnxruntime-web skipped: ${modelsMissing}\n`);

const resnetInput = lazy((): Float32Array => {
  if (modelsMissing === null) return Float32Array.from(JSON.parse(readFileSync(join(MODELS, 'resnet18.io.json'), 'utf8')).input as number[]);
  return randn([1, 3, 224, 224], { rng: 6, dtype: 'float32' }).data as Float32Array;
});
const resnet = lazy(() => {
  const spec = { ...resnet18Spec(), dtype: 'float32' as const };
  const model: Module = modelsMissing === null ? loadModel(spec, new Uint8Array(readFileSync(join(MODELS, 'resnet18.safetensors')))).module : buildModel(spec, new Rng(0));
  model.eval();
  return { model, x: new CamlabTensor(resnetInput(), [1, 3, 224, 224]) };
});
const tfResnet = (backend: 'cpu' | 'wasm', timing: TimingOptions): Baseline =>
  tfBaseline(backend, 'resnet18-fwd', 'ResNet-18 forward', () => ({ net: tfResnet18(), x: tf.randomNormal([1, 224, 224, 3], 0, 1, 'float32', 7) as tf.Tensor4D }), ({ net, x }) => net(x), timing);
const ortResnet = (threads: number): Baseline =>
  ortBaseline('resnet18.onnx', 'ResNet-18 forward', threads, () => ({ input: new ort.Tensor('float32', resnetInput(), [1, 3, 224, 224]) }), { warmup: 2, minReps: 6, budgetMs: 4000 });
const resnetFwdBase: Baseline[] = [
  tfResnet('cpu', { warmup: 1, minReps: 2, maxReps: 3, budgetMs: 8000 }),
  tfResnet('wasm', { warmup: 2, minReps: 6, budgetMs: 4000 }),
  ...(modelsMissing === null ? [ortResnet(1), ortResnet(2)] : []),
];
const slow = { warmup: 2, minReps: 6, budgetMs: 4000 };
for (const threads of [1, 2]) {
  register({ name: 'ResNet-18 forward', shape: '1x3x224x224', dtype: 'float32', threads, flops: 2 * 1.814e9, ours: () => noGrad(() => resnet().model.call(resnet().x)), oursTiming: slow, baselines: resnetFwdBase });
  register({
    name: 'ResNet-18 Grad-CAM++',
    shape: '1x3x224x224, layer4',
    dtype: 'float32',
    threads,
    flops: 0,
    ours: (): Tensor => gradCamPlusPlus(resnet().model, resnet().x, { layer: 'layer4' }).upsampled,
    oursTiming: slow,
    costIn: [ownUnit('ours-resnet-fwd', 'ResNet-18 forward', () => noGrad(() => resnet().model.call(resnet().x)))],
  });
}
// The exact terms at layer4 (25 088 entries): ResNet's head is piecewise linear, so the chain rule.
register({
  name: 'ResNet-18 Grad-CAM++ exact (Y = exp)',
  shape: '1x3x224x224, layer4',
  dtype: 'float32',
  flops: 0,
  ours: (): Tensor => gradCamPlusPlus(resnet().model, resnet().x, { layer: 'layer4', exact: true }).upsampled,
  oursTiming: slow,
  costIn: [ownUnit('ours-resnet-gradcampp', 'closed-form ResNet-18 Grad-CAM++', () => gradCamPlusPlus(resnet().model, resnet().x, { layer: 'layer4' }))],
});
register({
  name: 'Smooth Grad-CAM++ n=25',
  shape: '1x3x224x224, layer4.1',
  dtype: 'float32',
  threads: 2,
  flops: 0,
  ours: (): Tensor => smoothGradCamPlusPlus(resnet().model, resnet().x, { samples: 25, layer: 'layer4.1' }).upsampled,
  oursTiming: { warmup: 1, minReps: 2, maxReps: 3, budgetMs: 1 },
});

/**
 * "camlab from ONNX": camlab runs resnet18.onnx itself (loadOnnx), the file onnxruntime-web runs,
 * forward and Grad-CAM++ at layer4 (the module path selects torch.onnx's last node in layer4),
 * against the same baselines. Before the rows are timed, the logits of camlab's spec model, of
 * camlab's ONNX graph and of onnxruntime-web are compared with PyTorch's (resnet18.io.json): the
 * rows time the same network or say on stderr that they do not.
 */
export async function registerOnnxRows(): Promise<void> {
  const camlab = (await import('../src/index.js')) as Record<string, unknown>;
  const loadOnnx = camlab.loadOnnx as ((bytes: Uint8Array) => Module) | undefined;
  if (typeof loadOnnx !== 'function' || modelsMissing !== null) return;
  const model = lazy(() => loadOnnx(new Uint8Array(readFileSync(join(MODELS, 'resnet18.onnx')))).eval());
  onnxResnet = model;
  for (const threads of [1, 2]) {
    register({ name: 'ResNet-18 forward (camlab from ONNX)', shape: '1x3x224x224', dtype: 'float32', threads, flops: 2 * 1.814e9, ours: () => noGrad(() => model().call(resnet().x)), oursTiming: slow, baselines: resnetFwdBase });
    register({
      name: 'ResNet-18 Grad-CAM++ (camlab from ONNX)',
      shape: '1x3x224x224, layer4',
      dtype: 'float32',
      threads,
      flops: 0,
      ours: (): Tensor => gradCamPlusPlus(model(), resnet().x, { layer: 'layer4' }).upsampled,
      oursTiming: slow,
      costIn: [ownUnit('ours-onnx-fwd', 'ResNet-18 forward from ONNX', () => noGrad(() => model().call(resnet().x)))],
    });
  }
}

let onnxResnet: (() => Module) | null = null;

/**
 * Largest |logit − PyTorch's logit| of camlab (spec and, when registered, ONNX) and
 * onnxruntime-web on resnet18.io.json's input; null when bench/.models could not be made.
 */
export async function checkResnetLogits(): Promise<Record<string, number> | null> {
  if (modelsMissing !== null) return null;
  const want = JSON.parse(readFileSync(join(MODELS, 'resnet18.io.json'), 'utf8')).logits as number[];
  const worst = (got: ArrayLike<number>): number => want.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i]!)), 0);
  const session = await ort.InferenceSession.create(readFileSync(join(MODELS, 'resnet18.onnx')), { executionProviders: ['wasm'] });
  const ortOut = await session.run({ input: new ort.Tensor('float32', resnetInput(), [1, 3, 224, 224]) });
  const out: Record<string, number> = { 'camlab spec': worst(noGrad(() => resnet().model.call(resnet().x)).data) };
  if (onnxResnet !== null) out['camlab from ONNX'] = worst(noGrad(() => onnxResnet!().call(resnet().x)).data);
  out['onnxruntime-web'] = worst(ortOut.logits!.data as Float32Array);
  return out;
}
