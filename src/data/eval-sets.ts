import type { EvalDataset } from '../cam/evaluate/dataset.js';
import { fail } from '../tensor/errors.js';
import { SHAPES_HELD_OUT_SEED } from './datasets.js';
import { shapeAt, SHAPE_SIZE } from './shapes.js';

/**
 * Held-out shapes for `evaluate`: image i is `shapeAt(seed, i)` with 1, 2 and 3 instances in turn
 * (group = instance count) and classes in turn, with its instance masks.
 */
export function shapesEvalSet(count: number, seed = SHAPES_HELD_OUT_SEED): EvalDataset {
  if (!Number.isInteger(count) || count < 1) fail('shapesEvalSet', `count must be a positive integer, got ${count}`);
  return {
    name: 'shapes',
    size: count,
    shape: [3, SHAPE_SIZE, SHAPE_SIZE],
    groups: ['1', '2', '3'],
    masks: true,
    get: (i) => {
      const s = shapeAt(seed, i, { instances: (1 + (i % 3)) as 1 | 2 | 3 });
      return { x: s.image, label: s.label, instances: s.instances.map((k) => k.mask), group: String(s.instances.length) };
    },
  };
}

/**
 * The order that takes classes in turn: the first image of class 0, of class 1, …, then the
 * second of each, and so on (package order within a class; a class that runs out is skipped).
 * Returns `count` indices into `labels`.
 */
export function classesInTurn(labels: readonly number[], count: number): number[] {
  const classes = Math.max(...labels) + 1;
  if (count > labels.length) fail('classesInTurn', `count ${count} is more than the ${labels.length} images`);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((l, i) => byClass[l]!.push(i));
  const order: number[] = [];
  for (let k = 0; order.length < count; k++) {
    for (let c = 0; c < classes && order.length < count; c++) {
      const i = byClass[c]![k];
      if (i !== undefined) order.push(i);
    }
  }
  return order;
}

/** 28x28 digits for `evaluate` (name 'mnist'), `count` of them with classes in turn ({@link classesInTurn}). */
export function digitsEvalSet(digits: { images: readonly ArrayLike<number>[]; labels: readonly number[] }, count: number): EvalDataset {
  const order = classesInTurn(digits.labels, count);
  return {
    name: 'mnist',
    size: order.length,
    shape: [1, 28, 28],
    get: (i) => ({ x: digits.images[order[i]!]!, label: digits.labels[order[i]!]! }),
  };
}
