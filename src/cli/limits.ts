/**
 * The bounds of every number the command line takes (the README's "Limits" lists them): wide
 * enough for real work, narrow enough that a typo (`--samples 1e9`) is refused at once instead
 * of running for days. Each command reads its flags' bounds from here.
 */
import { numberValue, type ParsedArgs } from './args.js';

export interface Limit {
  min: number;
  max: number;
  integer: boolean;
  /** What the bound protects (README). */
  why: string;
}

const SAFE = Number.MAX_SAFE_INTEGER;

export const LIMITS = {
  samples: { min: 1, max: 1000, integer: true, why: 'noisy samples: one forward and backward pass each' },
  noise: { min: 0, max: 10, integer: false, why: 'σ over the value range: at 10 the picture is gone' },
  seed: { min: -SAFE, max: SAFE, integer: true, why: 'any safe integer' },
  exactBatch: { min: 1, max: 65_536, integer: true, why: 'diagonal entries per pass of --exact: memory grows with it' },
  alpha: { min: 0, max: 1, integer: false, why: 'overlay opacity' },
  maxPixels: { min: 1, max: 500_000_000, integer: true, why: 'decoded pictures: 4 bytes per pixel (500 MP is 2 GB)' },
  inputs: { min: 1, max: 10_000, integer: true, why: 'pictures per explain or demo run (files named and found in folders)' },
  evalImages: { min: 1, max: 100_000, integer: true, why: 'eval images' },
  evalSteps: { min: 1, max: 1024, integer: true, why: 'deletion/insertion steps (and at most the pixels of an image)' },
  evalSubset: { min: 0, max: 100_000, integer: true, why: '--curve-images, --stability-images' },
  examples: { min: 0, max: 1000, integer: true, why: 'example pictures in index.html' },
  workers: { min: 1, max: 64, integer: true, why: 'eval processes' },
  stabilityNoise: { min: 0, max: 1, integer: false, why: 'σ in [0, 1] pixel units' },
  epochs: { min: 1, max: 1000, integer: true, why: 'training epochs' },
  trainSize: { min: 1, max: 1_000_000, integer: true, why: 'training images per epoch' },
  heldOut: { min: 1, max: 100_000, integer: true, why: 'held-out images scored per epoch' },
  trainBatch: { min: 1, max: 4096, integer: true, why: 'training batch size' },
  lr: { min: 1e-8, max: 10, integer: false, why: 'Adam learning rate' },
  weightDecay: { min: 0, max: 10, integer: false, why: 'AdamW weight decay λ (each step shrinks weights by lr·λ)' },
  warmup: { min: 0, max: 1000, integer: false, why: 'epochs of linear learning-rate warm-up' },
  microBatches: { min: 1, max: 64, integer: true, why: 'micro-batches per training step (at most the batch size)' },
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

/** A numeric flag checked against its limit (one line naming the flag, the range and the value). */
export function limitedValue(command: string, args: ParsedArgs, flag: string, limit: LimitName): number | undefined {
  const l: Limit = LIMITS[limit];
  return numberValue(command, args, flag, { integer: l.integer, min: l.min, max: l.max });
}

/** `1 to 1000` for help texts. */
export function range(limit: LimitName): string {
  const l: Limit = LIMITS[limit];
  return l.min === -SAFE ? 'any safe integer' : `${l.min} to ${l.max}`;
}
