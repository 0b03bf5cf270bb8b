import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type Pool2dOptions } from '../autodiff/ops/pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { fmtPair, pair, type Pair } from './pair.js';

/** A pooling kind: its options, its op, and the arguments shown by `describe()`. */
interface PoolingRow<O> {
  forward(x: Tensor, options: O): Tensor;
  describe(options: O): string;
}

function describeWindow(o: Pool2dOptions): string {
  const parts = [`kernel=${fmtPair(o.kernelSize)}`];
  if (o.stride !== undefined) parts.push(`stride=${fmtPair(o.stride)}`);
  if (o.padding !== undefined && pair(o.padding).some((v) => v !== 0)) parts.push(`padding=${fmtPair(o.padding)}`);
  return parts.join(', ');
}

/** The options of each pooling kind. */
export interface PoolingOptions {
  MaxPool2d: Pool2dOptions;
  AvgPool2d: Pool2dOptions;
  AdaptiveAvgPool2d: Pair;
}

export type PoolingKind = keyof PoolingOptions;

/**
 * Every pooling layer is one row here (a new one is a row plus its named constructor below):
 * - MaxPool2d: the maximum of each window (the gradient goes to its first maximum);
 * - AvgPool2d: the mean of each window (PyTorch's F.avg_pool2d, padding counted in the divisor);
 * - AdaptiveAvgPool2d: to a fixed output size, output (i, j) the mean of input rows
 *   ⌊iH/OH⌋..⌈(i+1)H/OH⌉ − 1 and the same for columns (PyTorch's bins).
 */
const POOLING: { [K in PoolingKind]: PoolingRow<PoolingOptions[K]> } = {
  MaxPool2d: { forward: maxPool2d, describe: describeWindow },
  AvgPool2d: { forward: avgPool2d, describe: describeWindow },
  AdaptiveAvgPool2d: { forward: (x, size) => adaptiveAvgPool2d(x, pair(size)), describe: fmtPair },
};

/** A pooling layer of any kind in {@link POOLING}; `options` are that kind's. */
export class Pool2d<K extends PoolingKind = PoolingKind> extends Module {
  constructor(readonly kind: K, readonly options: PoolingOptions[K]) {
    super();
  }

  forward(x: Tensor): Tensor {
    const row: PoolingRow<PoolingOptions[K]> = POOLING[this.kind];
    return row.forward(x, this.options);
  }

  override describe(): string {
    const row: PoolingRow<PoolingOptions[K]> = POOLING[this.kind];
    return `${this.kind}(${row.describe(this.options)})`;
  }
}

/** A named constructor for one pooling kind (`new MaxPool2d({ kernelSize: 2 })`), whose instances are `Pool2d`s. */
function poolingLayer<K extends PoolingKind>(kind: K): new (options: PoolingOptions[K]) => Pool2d<K> {
  return class extends Pool2d<K> {
    constructor(options: PoolingOptions[K]) {
      super(kind, options);
    }
  };
}

export const MaxPool2d = poolingLayer('MaxPool2d');
export type MaxPool2d = Pool2d<'MaxPool2d'>;
export const AvgPool2d = poolingLayer('AvgPool2d');
export type AvgPool2d = Pool2d<'AvgPool2d'>;
export const AdaptiveAvgPool2d = poolingLayer('AdaptiveAvgPool2d');
export type AdaptiveAvgPool2d = Pool2d<'AdaptiveAvgPool2d'>;
