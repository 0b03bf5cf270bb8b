import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { shapesHeldOutSet, digitSet } from '../data/datasets.js';
import { loadMnist } from '../data/mnist.js';
import { saveWeights } from '../io/model.js';
import { MultiheadAttention } from '../nn/attention.js';
import { heInit } from '../nn/init.js';
import { buildModel, parseModelSpec, type ModelSpec } from '../nn/spec.js';
import { evaluateClassifier, train, type Dataset, type EpochSummary } from '../nn/train.js';
import type { Module } from '../nn/module.js';
import { ARCHITECTURES } from '../nn/zoo.js';
import { Rng } from '../tensor/rng.js';
import { getThreads, setThreads } from '../tensor/wasm/threads.js';
import { CamlabError } from '../tensor/errors.js';
import { parseArgs, value } from './args.js';
import { readJson } from '../node/files.js';
import { underCommand } from './errors.js';
import { limitedValue, range } from './limits.js';
import { OutputFolder } from './output.js';
import type { ProgressTask } from './progress.js';
import { duration } from './report.js';
import { trainSetFor, type TrainDataSpec } from '../node/train-data.js';
import { TrainWorkers } from '../node/train-workers.js';
import type { CommandIo } from './run.js';

export const TRAIN_HELP = `camlab train --data shapes|mnist [options]

Trains a classifier and writes spec.json, model.safetensors and metrics.json to --out.
Same seed, same weights. It never overwrites weights without --force, and writes into a bundled
model's folder (models/shapes-cnn, models/mnist-cnn) only when --out names it.

  --data shapes|mnist      training data (shapes: fresh synthetic images every epoch; mnist: the
                           fixed 85% train split of the mnist package, with random shifts of ±2 px)
  --arch NAME|SPEC.json    architecture (default shapes-cnn for shapes, mnist-cnn for mnist)
  --epochs N               default 8 (shapes) / 12 (mnist); ${range('epochs')}
  --train-size N           images per epoch (shapes; default 8000) or the first N train digits (mnist); ${range('trainSize')}
  --held-out N             held-out images to score after each epoch (default 1000 shapes / all 1505 mnist); ${range('heldOut')}
  --batch-size N           default 32; ${range('trainBatch')}
  --lr X                   Adam learning rate, cosine-decayed to 0 (default 0.003); ${range('lr')}
  --weight-decay X         AdamW's decoupled weight decay λ (torch.optim.AdamW; default 0: plain
                           Adam); ${range('weightDecay')}
  --warmup E               linear learning-rate warm-up over the first E epochs (default 0); ${range('warmup')}
  --micro-batches M        cut each batch into M parts that run forward and backward on their
                           own (batch norm sees each part's statistics), on min(M, cores) threads;
                           the weights are the same on any number of cores (default 1); ${range('microBatches')}
  --seed K                 default 0
  --out DIR                default out/models/<arch> (to replace a bundled model:
                           --out models/<arch> --force)
  --force                  overwrite the weights already in --out`;

export interface TrainingRun {
  data: 'shapes' | 'mnist';
  spec: ModelSpec;
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** AdamW's decoupled weight decay (0: Adam). */
  weightDecay?: number;
  /** Epochs of linear learning-rate warm-up. */
  warmupEpochs?: number;
  /** Micro-batches per step (micro-batches.ts), run on min(microBatches, threads) threads. */
  microBatches?: number;
  /** Threads for the micro-batches (default: the kernels' thread count, i.e. the available cores). */
  threads?: number;
  trainSize?: number;
  heldOut?: number;
}

/**
 * A fresh float32 model for training, initialized as `camlab train` does from the seed: He init
 * for the ReLU CNNs; a transformer keeps the torchvision init it was built with.
 */
export function trainingModel(spec: ModelSpec, seed: number): Module {
  const model = buildModel({ ...spec, dtype: 'float32' }, new Rng(seed));
  if (!model.namedModules().some(([, m]) => m instanceof MultiheadAttention)) heInit(model.namedParameters(), new Rng(seed + 1));
  return model;
}

/**
 * Trains a model as `camlab train` does (He init from the seed, Adam or AdamW with optional
 * warm-up and cosine decay, float32),
 * scoring the held-out set after each epoch. Deterministic for a given run description.
 */
export function runTraining(run: TrainingRun, log: (s: string) => void, progress?: ProgressTask): { model: Module; history: EpochSummary[]; trainSize: number; heldOutSize: number } {
  const { spec, seed, epochs, batchSize, lr } = run;
  const dataSpec: TrainDataSpec = run.data === 'shapes'
    ? { kind: 'shapes', seed, size: run.trainSize ?? 8000 }
    : { kind: 'mnist', seed, ...(run.trainSize === undefined ? {} : { size: run.trainSize }) };
  const trainSet = trainSetFor(dataSpec);
  let heldOut: Dataset;
  if (run.data === 'shapes') {
    heldOut = shapesHeldOutSet(run.heldOut ?? 1000);
  } else {
    const m = loadMnist();
    const n = Math.min(run.heldOut ?? m.heldOut.images.length, m.heldOut.images.length);
    heldOut = digitSet(m.heldOut.images.slice(0, n), m.heldOut.labels.slice(0, n));
  }
  const [c, h, w] = trainSet.shape;
  if (spec.input.channels !== c || spec.input.height !== h || spec.input.width !== w) {
    throw new CamlabError('train', `architecture ${spec.name} expects ${spec.input.channels}x${spec.input.height}x${spec.input.width} inputs but ${run.data} images are ${c}x${h}x${w}`);
  }
  const model = trainingModel(spec, seed);
  const wd = run.weightDecay ?? 0;
  const warmupEpochs = run.warmupEpochs ?? 0;
  const recipe = `${wd > 0 ? `AdamW (weight decay ${wd})` : 'Adam'}, lr ${lr}${warmupEpochs > 0 ? ` after ${warmupEpochs} warm-up epoch(s)` : ''}, cosine decay`;
  const micro = run.microBatches ?? 1;
  const workers = Math.max(0, Math.min(micro, run.threads ?? getThreads()) - 1);
  const split = micro > 1 ? `, ${micro} micro-batches on ${workers + 1} thread${workers > 0 ? 's' : ''}` : '';
  log(`training ${spec.name} on ${run.data}: ${model.parameterCount()} parameters, ${trainSet.size} images/epoch, ${epochs} epochs, batch ${batchSize}${split}, ${recipe}, seed ${seed}`);
  const runner = workers > 0 ? new TrainWorkers(model, { spec, data: dataSpec, normalize: spec.input }, workers, Math.ceil(batchSize / micro)) : null;
  // The workers take the other cores: this thread's kernels stay on it meanwhile.
  const kernelThreads = getThreads();
  if (runner !== null) setThreads(1);
  try {
    const history = train(model, trainSet, {
      epochs, batchSize, lr, seed, normalize: spec.input, dtype: 'float32', warmupEpochs,
      ...(wd > 0 ? { optimizer: 'adamw' as const, weightDecay: wd } : {}),
      ...(micro > 1 ? { microBatches: micro } : {}),
      ...(runner === null ? {} : { runner }),
      onStep: (p) => progress?.update(
        (p.step + p.epoch * p.stepsPerEpoch) / (p.epochs * p.stepsPerEpoch),
        `epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss.toFixed(4)} acc ${(100 * p.accuracy).toFixed(1)}% ${(((p.step + p.epoch * p.stepsPerEpoch) * batchSize) / Math.max(p.seconds, 1e-9)).toFixed(0)} img/s`,
        p.etaSeconds,
      ),
      onEpoch: (e) => {
        const r = evaluateClassifier(model, heldOut, { normalize: spec.input });
        log(`epoch ${e.epoch + 1}/${epochs}: train loss ${e.loss.toFixed(4)}, train acc ${(100 * e.accuracy).toFixed(2)}%, held-out acc ${(100 * r.accuracy).toFixed(2)}% (${r.count} images), ${duration(e.seconds)}`);
        return { heldOutAccuracy: r.accuracy, heldOutLoss: r.loss };
      },
    }, () => Date.now());
    return { model, history, trainSize: trainSet.size, heldOutSize: heldOut.size };
  } finally {
    runner?.close();
    if (runner !== null) setThreads(kernelThreads);
  }
}

export function trainCommand(argv: readonly string[], { log, progress }: CommandIo): void {
  const args = parseArgs('train', argv, { values: ['data', 'arch', 'epochs', 'train-size', 'held-out', 'batch-size', 'lr', 'weight-decay', 'warmup', 'micro-batches', 'seed', 'out'], switches: ['force'], positional: [0, 0] });
  const dataName = value(args, 'data');
  if (dataName !== 'shapes' && dataName !== 'mnist') throw new CamlabError('train', `--data must be shapes or mnist, got '${dataName ?? ''}'`);
  const archName = value(args, 'arch') ?? (dataName === 'shapes' ? 'shapes-cnn' : 'mnist-cnn');
  const known = Object.prototype.hasOwnProperty.call(ARCHITECTURES, archName);
  if (!known && !archName.endsWith('.json') && !existsSync(archName)) {
    throw new CamlabError('train', `unknown architecture '${archName}': use ${Object.keys(ARCHITECTURES).join(', ')} or a spec .json file`);
  }
  const spec: ModelSpec = known ? ARCHITECTURES[archName as keyof typeof ARCHITECTURES]() : underCommand('train', () => parseModelSpec(readJson(archName, 'architecture spec')));
  const run: TrainingRun = {
    data: dataName,
    spec,
    seed: limitedValue('train', args, 'seed', 'seed') ?? 0,
    epochs: limitedValue('train', args, 'epochs', 'epochs') ?? (dataName === 'shapes' ? 8 : 12),
    batchSize: limitedValue('train', args, 'batch-size', 'trainBatch') ?? 32,
    lr: limitedValue('train', args, 'lr', 'lr') ?? 3e-3,
    weightDecay: limitedValue('train', args, 'weight-decay', 'weightDecay') ?? 0,
    warmupEpochs: limitedValue('train', args, 'warmup', 'warmup') ?? 0,
    microBatches: limitedValue('train', args, 'micro-batches', 'microBatches') ?? 1,
  };
  if (run.microBatches! > run.batchSize) throw new CamlabError('train', `--micro-batches ${run.microBatches!} is more than the batch size ${run.batchSize}`);
  const trainSize = limitedValue('train', args, 'train-size', 'trainSize');
  if (trainSize !== undefined) run.trainSize = trainSize;
  const heldOutSize = limitedValue('train', args, 'held-out', 'heldOut');
  if (heldOutSize !== undefined) run.heldOut = heldOutSize;
  const out = trainOutput(value(args, 'out'), spec.name, args.switches.has('force'));
  const started = Date.now();
  const task = progress.task(`train ${spec.name}`);
  const { model, history, trainSize: perEpoch, heldOutSize: heldCount } = runTraining(run, log, task);
  task.end();
  const final = history[history.length - 1]!;
  out.write('spec.json', `${JSON.stringify(spec, null, 2)}\n`);
  out.write('model.safetensors', saveWeights(model, { metadata: { format: 'pt', camlab: spec.name } }));
  const metrics = {
    model: spec.name,
    data: dataName,
    command: `camlab train ${argv.join(' ')}`.trim(),
    seed: run.seed, epochs: run.epochs, batchSize: run.batchSize, lr: run.lr, weightDecay: run.weightDecay, warmupEpochs: run.warmupEpochs, microBatches: run.microBatches,
    trainImagesPerEpoch: perEpoch,
    heldOutImages: heldCount,
    heldOutAccuracy: final.extra?.heldOutAccuracy ?? null,
    seconds: Math.round((Date.now() - started) / 1000),
    history,
  };
  out.write('metrics.json', `${JSON.stringify(metrics, null, 2)}\n`);
  const written = out.commit();
  log(`wrote ${written.join(', ')}; held-out accuracy ${(100 * (final.extra?.heldOutAccuracy ?? NaN)).toFixed(2)}%`);
}

/**
 * Where training writes, checked before it starts: by default out/models/<arch> (so a bundled
 * model's folder, models/<arch>, only when --out names it), and existing weights only with --force.
 */
function trainOutput(outFlag: string | undefined, arch: string, force: boolean): OutputFolder {
  const dir = outFlag ?? join('out', 'models', arch);
  const weights = join(dir, 'model.safetensors');
  if (existsSync(weights) && !force) throw new CamlabError('train', `${weights} already exists; pass --force to overwrite it, or choose another --out`);
  const out = new OutputFolder('train', dir);
  out.check();
  return out;
}
