import { digitSet, shapesTrainSet } from '../data/datasets.js';
import { loadMnist } from '../data/mnist.js';
import type { Dataset } from '../nn/train.js';

/** The training data of a run, as a worker thread rebuilds it. */
export type TrainDataSpec =
  | { kind: 'shapes'; seed: number; size: number }
  | { kind: 'mnist'; seed: number; size?: number };

/**
 * The training data of `camlab train`, from a description a worker thread can rebuild: shapes,
 * fresh images every epoch from the seed; mnist, the first `size` digits of the train split with
 * random shifts of ±2 px seeded per (epoch, index).
 */
export function trainSetFor(d: TrainDataSpec): Dataset {
  if (d.kind === 'shapes') return shapesTrainSet(d.seed, d.size);
  const m = loadMnist();
  const train = d.size === undefined ? m.train : { images: m.train.images.slice(0, d.size), labels: m.train.labels.slice(0, d.size) };
  return digitSet(train.images, train.labels, { shift: 2, seed: d.seed });
}
