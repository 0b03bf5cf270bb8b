/**
 * tfjs-core registers no gradients on its own (the union package does, through an ESM entry point
 * Node cannot load). These are the gradient configs of the five kernels the small-CNN head uses,
 * written like tfjs's own (reduced to the shapes used here), so tf.grad runs on tfjs kernels.
 */
import * as tf from '@tensorflow/tfjs-core';

function keptShape(x: tf.Tensor, axis: number[] | number | null | undefined, keepDims: boolean): number[] {
  if (keepDims) return x.shape;
  const list = axis === null || axis === undefined ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis];
  const axes = list.map((a) => (a < 0 ? a + x.rank : a));
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

let done = false;

export function registerHeadGradients(): void {
  if (done) return;
  done = true;
  tf.registerGradient({
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      const { axis, keepDims } = attrs as { axis: number[]; keepDims: boolean };
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, keptShape(x, axis, keepDims)), tf.onesLike(x)) };
    },
  });
  tf.registerGradient({
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      const { axis, keepDims } = attrs as { axis: number[]; keepDims: boolean };
      const kept = keptShape(x, axis, keepDims);
      const n = x.size / kept.reduce((a, b) => a * b, 1);
      return { x: () => tf.div(tf.mul(tf.reshape(dy as tf.Tensor, kept), tf.onesLike(x)), n) };
    },
  });
  tf.registerGradient({
    kernelName: 'Multiply',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      return { a: () => tf.mul(dy as tf.Tensor, b), b: () => tf.mul(dy as tf.Tensor, a) };
    },
  });
  tf.registerGradient({
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const reduce = (t: tf.Tensor): tf.Tensor => {
        let g = dy as tf.Tensor;
        while (g.rank > t.rank) g = tf.sum(g, 0);
        return tf.reshape(g, t.shape);
      };
      return { a: () => reduce(a), b: () => reduce(b) };
    },
  });
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor2D, tf.Tensor2D];
      return { a: () => tf.matMul(dy as tf.Tensor2D, b, false, true), b: () => tf.matMul(a, dy as tf.Tensor2D, true, false) };
    },
  });
}
