import * as K from '../tensor/index.js';
import { infer } from '../nn/infer.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/** One class of a prediction: its index, name, softmax probability and raw score (logit). */
export interface RankedClass {
  index: number;
  name: string;
  probability: number;
  score: number;
}

/**
 * The classes of image 0 of x ranked by p_c = softmax(model(x))_c (eval mode, no graph), the top
 * `k` (default: all). `classes` names them; missing names fall back to the index.
 */
export function topClasses(model: Module, x: Tensor, classes: readonly string[], k?: number): RankedClass[] {
  const out = infer(model, x);
  const p = K.softmax(out, -1);
  const rows = Array.from({ length: out.shape[1]! }, (_, i) => ({ index: i, name: classes[i] ?? String(i), probability: p.data[i]!, score: out.data[i]! }));
  rows.sort((a, b) => b.probability - a.probability);
  return k === undefined ? rows : rows.slice(0, k);
}
