/**
 * Transformer rows (issue 14): training throughput of shapes-vit, its forward with the last block
 * run for the class token alone against the full last block, and exact Grad-CAM++ rollout with
 * the pruning of diagonals that cannot change the map ('map', the default; 'score') against no
 * pruning, all on the bundled shapes-vit and one 64x64 image. The exact rows take minutes
 * (`npm run bench -- --filter rollout` runs only them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../src/autodiff/mode.js';
import { gradCamPlusPlusRollout } from '../src/cam/rollout/methods.js';
import { shapesTrainSet } from '../src/data/datasets.js';
import { loadModel } from '../src/io/model.js';
import { Adam } from '../src/nn/optim.js';
import { makeBatch } from '../src/nn/train.js';
import { shapesVitSpec } from '../src/nn/zoo.js';
import { ROOT } from '../src/node/files.js';
import { randn } from '../src/tensor/create.js';
import { lazy, register, type Baseline, type TimingOptions } from './harness.js';
import { registerMicroBatchEpoch, registerTrainStep } from './models.js';
import { trainingModel } from '../src/cli/train.js';

const training = lazy(() => {
  const spec = shapesVitSpec();
  const model = trainingModel(spec, 0);
  const batch = makeBatch(shapesTrainSet(0, 32), Array.from({ length: 32 }, (_, i) => i), 0, spec.input, 'float32');
  return { model, batch, optim: new Adam(model.parameters(), { lr: 1e-3 }) };
});
registerTrainStep('train step shapes-vit', training);
registerMicroBatchEpoch('train epoch shapes-vit', shapesVitSpec, 128);

/** The bundled shapes-vit (float64, as the CAM methods run) and one input. */
const bundled = lazy(() => {
  const dir = join(ROOT, 'models', 'shapes-vit');
  const { module } = loadModel(JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as unknown, new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  return { model: module.eval(), x: randn([1, 3, 64, 64], { rng: 7 }) };
});
const own = (key: string, label: string, run: () => unknown, timing?: TimingOptions): Baseline => ({ key, id: 'camlab', threads: 1, label, run, ...(timing === undefined ? {} : { timing }) });

const fullLastBlock = own('ours-vit-full-last-block', 'forward with the full last block', () => {
  const { model, x } = bundled();
  const watch = model.get('encoder.ln').registerForwardHook(() => {}); // a hook there makes the encoder run every token
  try {
    return noGrad(() => model.call(x));
  } finally {
    watch.remove();
  }
});
register({
  name: 'shapes-vit forward, last block for the class token',
  shape: '1x3x64x64',
  dtype: 'float64',
  flops: 0,
  ours: () => noGrad(() => bundled().model.call(bundled().x)),
  costIn: [fullLastBlock],
});

const once: TimingOptions = { warmup: 0, minReps: 1, maxReps: 1, budgetMs: 1 };
const closed = own('ours-vit-gcpp-rollout', 'closed-form Grad-CAM++ rollout', () => gradCamPlusPlusRollout(bundled().model, bundled().x));
const unpruned = own('ours-vit-gcpp-rollout-none', 'exact Grad-CAM++ rollout without pruning', () => gradCamPlusPlusRollout(bundled().model, bundled().x, { exact: true, prune: 'none' }), once);
for (const prune of ['map', 'score'] as const) {
  register({
    name: `Grad-CAM++ rollout exact, prune ${prune}`,
    shape: 'shapes-vit 1x3x64x64, 2 blocks x 65x65',
    dtype: 'float64',
    flops: 0,
    ours: () => gradCamPlusPlusRollout(bundled().model, bundled().x, { exact: true, prune }),
    oursTiming: once,
    costIn: [unpruned, closed],
  });
}
