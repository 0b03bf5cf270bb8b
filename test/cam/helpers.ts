import { AdaptiveAvgPool2d, Conv2d, GlobalAvgPool, Identity, Linear, MaxPool2d, ReLU, Sequential, Tanh, BatchNorm2d, Flatten } from '../../src/nn/layers.js';
import { Rng } from '../../src/tensor/rng.js';
import { rand, randn } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/**
 * A model whose input IS the explained activation A: layer 'features.0' (an Identity) outputs the
 * input, and `head` is the rest of the network. The input's channels are A's channels.
 */
export function onHead(head: Sequential): Sequential {
  return Sequential.named([['features', new Sequential(new Identity())], ['head', head]]);
}

/** GAP + linear: g_k,ij = W[c,k]/(hw), constant per channel. */
export function gapLinear(k: number, classes: number, seed: number): Sequential {
  return onHead(new Sequential(new GlobalAvgPool(), new Linear(k, classes, { rng: new Rng(seed) })));
}

/** A random piecewise-linear head: conv-relu-maxpool-conv-relu-GAP-linear. */
export function piecewiseLinearHead(k: number, classes: number, seed: number): Sequential {
  const rng = new Rng(seed);
  return onHead(new Sequential(
    new Conv2d(k, 4, 3, { padding: 1, rng }), new ReLU(), new MaxPool2d({ kernelSize: 2 }),
    new Conv2d(4, 5, 1, { rng }), new ReLU(), new GlobalAvgPool(), new Linear(5, classes, { rng }),
  ));
}

/** The same with a tanh after the first conv: a smooth head, where closed form and exact differ. */
export function tanhHead(k: number, classes: number, seed: number): Sequential {
  const rng = new Rng(seed);
  return onHead(new Sequential(
    new Conv2d(k, 4, 3, { padding: 1, rng }), new Tanh(), new MaxPool2d({ kernelSize: 2 }),
    new Conv2d(4, 5, 1, { rng }), new ReLU(), new GlobalAvgPool(), new Linear(5, classes, { rng }),
  ));
}

/** A small full CNN on images (conv-bn-relu-pool, conv-relu, GAP, linear) for end-to-end method tests. */
export function smallCnn(seed: number, classes = 3): Sequential {
  const rng = new Rng(seed);
  const m = Sequential.named([
    ['features', new Sequential(
      new Conv2d(3, 6, 3, { padding: 1, rng }), new BatchNorm2d(6), new ReLU(), new MaxPool2d({ kernelSize: 2 }),
      new Conv2d(6, 8, 3, { padding: 1, rng }), new ReLU(),
    )],
    ['pool', new AdaptiveAvgPool2d(1)],
    ['flatten', new Flatten()],
    ['classifier', new Linear(8, classes, { rng })],
  ]);
  // Non-trivial running statistics so eval-mode batch norm is not the identity.
  const bn = m.get('features.1');
  for (const [n, t] of bn.namedBuffers()) {
    if (n === 'running_mean') t.data.set([0.1, -0.2, 0.05, 0, 0.3, -0.1]);
    if (n === 'running_var') t.data.set([1.2, 0.8, 1.5, 0.9, 1.1, 0.7]);
  }
  return m.eval();
}

export function positive(shape: number[], seed: number): Tensor {
  return rand(shape, { rng: seed, low: 0.1, high: 1.5 });
}

export function image(shape: number[], seed: number): Tensor {
  return randn(shape, { rng: seed });
}

export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (scale || 1));
  return worst;
}
