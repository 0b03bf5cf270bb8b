import { fail } from '../tensor/errors.js';
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';

export interface NoiseOptions {
  /** Number of noisy copies n (default 25). */
  samples?: number;
  /** Noise level: σ = noise · (max x − min x) of each image (default 0.15), or σ = noise with 'absolute'. */
  noise?: number;
  /** 'range' (default): σ relative to each image's value range, as SmoothGrad; 'absolute': σ = noise. */
  noiseScale?: 'range' | 'absolute';
  /** Seed of the noise (default 0): the same seed gives the same result. */
  seed?: number;
}

/**
 * Validates the noise options of a smoothed method `op` and applies the defaults (n = 25,
 * level 0.15, σ relative to the image's range, seed 0); returns them with the seeded generator.
 */
export function checkNoise(op: string, opts: NoiseOptions): { samples: number; noise: number; rng: Rng; scale: 'range' | 'absolute' } {
  const samples = opts.samples ?? 25;
  const noise = opts.noise ?? 0.15;
  if (!Number.isInteger(samples) || samples < 1) fail(op, `samples must be a positive integer, got ${samples}`);
  if (!(noise >= 0) || !Number.isFinite(noise)) fail(op, `noise must be a finite number >= 0, got ${noise}`);
  const scale = opts.noiseScale ?? 'range';
  if (scale !== 'range' && scale !== 'absolute') fail(op, `noiseScale must be 'range' or 'absolute', got '${String(scale)}'`);
  return { samples, noise, rng: new Rng(opts.seed ?? 0), scale };
}

/** x + N(0, σ²) with σ per image (σ = level·(max − min) of that image, or level). */
export function noisyCopy(x: Tensor, level: number, scale: 'range' | 'absolute', rng: Rng): Tensor {
  const out = x.data.slice();
  const n = x.shape[0]!;
  const per = x.size / n;
  for (let i = 0; i < n; i++) {
    let sigma = level;
    if (scale === 'range') {
      let lo = Infinity;
      let hi = -Infinity;
      for (let j = i * per; j < (i + 1) * per; j++) {
        const v = x.data[j]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      sigma = level * (hi - lo);
    }
    if (sigma === 0) continue;
    for (let j = i * per; j < (i + 1) * per; j++) out[j] = out[j]! + sigma * rng.normal();
  }
  return new Tensor(out, x.shape);
}
