import type { Dataset, Sample } from '../../nn/train.js';

/** One image to evaluate: CHW pixels in [0, 1], its label, and optionally its objects' masks and group. */
export interface EvalSample extends Sample {
  /** Ground-truth masks, one per object instance ([H·W], non-zero inside): for the localization metrics. */
  instances?: readonly ArrayLike<number>[];
  /** The image's group among the dataset's `groups` (e.g. its instance count). */
  group?: string;
}

/**
 * The images `evaluate` scores, in evaluation order: image i is `get(i)`. The input shape
 * [C, H, W] comes from here (the model must expect it). Any runtime: the samples can be made on
 * demand, e.g. synthetic shapes, or decoded in a browser.
 */
export interface EvalDataset extends Dataset {
  /** Shown in reports ('shapes', 'mnist'). */
  name: string;
  /** Groups reported besides 'all', in report order; every sample names one of them. */
  groups?: readonly string[];
  /** Every sample carries instance masks: energy, pointing game and instance coverage are computed. */
  masks?: boolean;
  get(i: number, epoch?: number): EvalSample;
}
