/**
 * The benchmark networks written directly in tfjs-core ops (NHWC, random weights), as baselines for
 * camlab's models of the same shape.
 */
import * as tf from '@tensorflow/tfjs-core';


let seed = 100;
const w = (shape: number[], fanIn: number): tf.Tensor => tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed++);
const conv = (cin: number, cout: number, k: number): tf.Tensor4D => w([k, k, cin, cout], cin * k * k) as tf.Tensor4D;

/** conv 3→16, relu, maxpool 2, conv 16→32, relu, maxpool 2, conv 32→64, relu | GAP, linear 64→10. */
export function tfSmallCnn(): { lower: (x: tf.Tensor4D) => tf.Tensor4D; head: (a: tf.Tensor4D) => tf.Tensor2D } {
  const w1 = conv(3, 16, 3);
  const w2 = conv(16, 32, 3);
  const w3 = conv(32, 64, 3);
  const fc = w([64, 10], 64) as tf.Tensor2D;
  const b = tf.zeros([10]);
  const lower = (x: tf.Tensor4D): tf.Tensor4D => {
    let h = tf.maxPool(tf.relu(tf.conv2d(x, w1, 1, 'same')), 2, 2, 'valid');
    h = tf.maxPool(tf.relu(tf.conv2d(h, w2, 1, 'same')), 2, 2, 'valid');
    return tf.relu(tf.conv2d(h, w3, 1, 'same'));
  };
  const head = (a: tf.Tensor4D): tf.Tensor2D => tf.add(tf.matMul(tf.mean(a, [1, 2]) as tf.Tensor2D, fc), b);
  return { lower, head };
}

/** ResNet-18 (torchvision layout, eval-mode batch norm folded as tf.batchNorm) on NHWC input. */
export function tfResnet18(): (x: tf.Tensor4D) => tf.Tensor2D {
  const bn = (c: number): [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] => [tf.zeros([c]), tf.ones([c]), tf.zeros([c]), tf.ones([c])];
  const block = (cin: number, cout: number, stride: 1 | 2) => {
    const c1 = conv(cin, cout, 3);
    const b1 = bn(cout);
    const c2 = conv(cout, cout, 3);
    const b2 = bn(cout);
    const down = stride !== 1 || cin !== cout ? { c: conv(cin, cout, 1), b: bn(cout) } : null;
    return (x: tf.Tensor4D): tf.Tensor4D => {
      let h = tf.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), c1, stride, 'valid');
      h = tf.relu(tf.batchNorm(h, b1[0], b1[1], b1[2], b1[3])) as tf.Tensor4D;
      h = tf.batchNorm(tf.conv2d(h, c2, 1, 'same'), b2[0], b2[1], b2[2], b2[3]) as tf.Tensor4D;
      const skip = down === null ? x : tf.batchNorm(tf.conv2d(x, down.c, stride, 'valid'), down.b[0], down.b[1], down.b[2], down.b[3]);
      return tf.relu(tf.add(h, skip)) as tf.Tensor4D;
    };
  };
  const stem = conv(3, 64, 7);
  const stemBn = bn(64);
  const blocks = [
    block(64, 64, 1), block(64, 64, 1), block(64, 128, 2), block(128, 128, 1),
    block(128, 256, 2), block(256, 256, 1), block(256, 512, 2), block(512, 512, 1),
  ];
  const fc = w([512, 1000], 512) as tf.Tensor2D;
  return (x: tf.Tensor4D): tf.Tensor2D => {
    let h = tf.conv2d(tf.pad(x, [[0, 0], [3, 3], [3, 3], [0, 0]]), stem, 2, 'valid');
    h = tf.relu(tf.batchNorm(h, stemBn[0], stemBn[1], stemBn[2], stemBn[3])) as tf.Tensor4D;
    h = tf.maxPool(tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]], -Infinity), 3, 2, 'valid');
    for (const b of blocks) h = b(h);
    return tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, fc);
  };
}
