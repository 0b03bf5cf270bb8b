import { zeros } from '../tensor/create.js';
import type { DType } from '../tensor/dtype.js';
import { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';

let defaultRng = new Rng(0);

/** Reseeds the generator layers use when none is passed (like torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultRng = new Rng(seed);
}

/** The generator a layer uses for initialization: the one given, else the seeded default. */
export function initRng(rng?: Rng): Rng {
  return rng ?? defaultRng;
}

/** U(−bound, bound) samples. */
export function uniformInit(shape: readonly number[], bound: number, rng: Rng, dtype: DType = 'float64'): Tensor {
  const t = zeros(shape, { dtype });
  for (let i = 0; i < t.size; i++) t.data[i] = (2 * rng.uniform() - 1) * bound;
  return t;
}

/**
 * PyTorch's default for Conv2d and Linear weights, kaiming_uniform_(a=√5):
 * bound = gain·√(3/fan_in) with gain = √(2/(1+a²)) = √(1/3), i.e. bound = 1/√fan_in.
 * Biases use the same bound.
 */
export function defaultBound(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

/**
 * Re-initializes every Conv2d/Linear weight with He/Kaiming normal N(0, 2/fan_in) and zeroes
 * their biases (a better start than PyTorch's default for ReLU networks trained from scratch).
 * Applies to named parameters: `*.weight` with at least 2 dimensions [out, in, ...] and `*.bias`
 * vectors (batch-norm weights are 1-D and left alone).
 */
export function heInit(tensors: ReadonlyArray<readonly [string, Tensor]>, rng: Rng): void {
  for (const [name, t] of tensors) {
    if (name.endsWith('.weight') && t.ndim >= 2) {
      const fanIn = t.size / t.shape[0]!;
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < t.size; i++) t.data[i] = std * rng.normal();
    } else if (name.endsWith('.bias') && t.ndim === 1) {
      t.data.fill(0);
    }
  }
}
