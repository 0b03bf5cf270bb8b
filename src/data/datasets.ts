import type { Dataset } from '../nn/train.js';
import { Rng } from '../tensor/rng.js';
import { shapeAt, shapeSeed, SHAPE_SIZE } from './shapes.js';

/** Seed of the shapes held-out set: never used to generate training images. */
export const SHAPES_HELD_OUT_SEED = 7_000_001;

/**
 * Training shapes: `size` images per epoch, freshly generated for every epoch (image i of epoch e
 * comes from seed shapeSeed(seed, e)), so the network never sees the same picture twice.
 */
export function shapesTrainSet(seed: number, size: number): Dataset {
  return {
    size,
    shape: [3, SHAPE_SIZE, SHAPE_SIZE],
    get: (i, epoch) => {
      const s = shapeAt(shapeSeed(seed, epoch), i);
      return { x: s.image, label: s.label };
    },
  };
}

/** Held-out shapes: image i of the fixed held-out seed (labels cycle, so classes are balanced). */
export function shapesHeldOutSet(size: number, seed = SHAPES_HELD_OUT_SEED): Dataset {
  return {
    size,
    shape: [3, SHAPE_SIZE, SHAPE_SIZE],
    get: (i) => {
      const s = shapeAt(seed, i);
      return { x: s.image, label: s.label };
    },
  };
}

/** 28x28 digits as a dataset, optionally with random shifts of up to `shift` pixels (zero fill), seeded per (epoch, index). */
export function digitSet(images: readonly ArrayLike<number>[], labels: readonly number[], opts: { shift?: number; seed?: number } = {}): Dataset {
  const shift = opts.shift ?? 0;
  const side = 28;
  return {
    size: images.length,
    shape: [1, side, side],
    get: (i, epoch) => {
      const src = images[i]!;
      if (shift === 0) return { x: src, label: labels[i]! };
      const rng = new Rng(shapeSeed(shapeSeed(opts.seed ?? 0, epoch), i));
      const dx = rng.int(2 * shift + 1) - shift;
      const dy = rng.int(2 * shift + 1) - shift;
      const x = new Float32Array(side * side);
      for (let y = 0; y < side; y++) {
        const sy = y - dy;
        if (sy < 0 || sy >= side) continue;
        for (let xx = 0; xx < side; xx++) {
          const sx = xx - dx;
          if (sx >= 0 && sx < side) x[y * side + xx] = src[sy * side + sx]!;
        }
      }
      return { x, label: labels[i]! };
    },
  };
}
