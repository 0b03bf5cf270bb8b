/**
 * Kernel rows: matmul and the three conv2d kernels, ours against tfjs-core + tfjs-backend-cpu
 * (pure-JS CPU backend) run in the same process. tfjs has no float64, so its float32 kernel is the
 * baseline of both our float32 and float64 rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, type Conv2dOptions } from '../src/tensor/conv.js';
import { randn } from '../src/tensor/create.js';
import type { DType } from '../src/tensor/dtype.js';
import { matmul } from '../src/tensor/matmul.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { lazy, register, type Baseline } from './harness.js';

export const NOTES = [
  'baseline = @tensorflow/tfjs-core + @tensorflow/tfjs-backend-cpu (float32 only: it is the baseline of the float64 rows too), same process, prod mode.',
  'tfjs convolutions run in its native NHWC layout (HWIO filters); ours in NCHW/OIHW.',
  'speed-up = baseline ms / ours ms; GFLOP/s counts 2 flops per multiply-add of ours.',
];

/** Selects tfjs's CPU backend; call (and await) before running rows. */
export async function initTfjs(): Promise<void> {
  tf.enableProdMode();
  await tf.setBackend('cpu');
}

/** Runs a tfjs op on prepared inputs, reads the result back and frees it. */
function tfRun(f: () => tf.Tensor): () => void {
  return () => {
    const y = f();
    y.dataSync();
    y.dispose();
  };
}

const DTYPES: readonly DType[] = ['float32', 'float64'];

// ---- matmul -------------------------------------------------------------------------------------

for (const n of [256, 512]) {
  const tfIn = lazy(() => [tf.randomNormal([n, n], 0, 1, 'float32', 1), tf.randomNormal([n, n], 0, 1, 'float32', 2)] as const);
  const baseline: Baseline = {
    key: `tfjs-matmul-${n}`,
    label: `tfjs matMul ${n}^3`,
    run: tfRun(() => {
      const [a, b] = tfIn();
      return tf.matMul(a, b);
    }),
    timing: { warmup: 1, minReps: 6, budgetMs: 3000 },
  };
  for (const dtype of DTYPES) {
    const inputs = lazy(() => [randn([n, n], { rng: 1, dtype }), randn([n, n], { rng: 2, dtype })] as const);
    register({
      name: 'matmul',
      shape: `${n}x${n}x${n}`,
      dtype,
      flops: 2 * n * n * n,
      ours: () => {
        const [a, b] = inputs();
        return matmul(a, b);
      },
      baseline,
    });
  }
}

// ---- conv2d 64->64 3x3 pad 1 on 1x64x56x56 ------------------------------------------------------

{
  const [N, C, H, W, O, K] = [1, 64, 56, 56, 64, 3];
  const opts: Conv2dOptions = { padding: 1 };
  const flops = 2 * N * O * H * W * C * K * K;
  const shape = `x[${N},${C},${H},${W}] w[${O},${C},${K},${K}] pad 1`;
  const tfIn = lazy(() => ({
    x: tf.randomNormal([N, H, W, C], 0, 1, 'float32', 3) as tf.Tensor4D,
    w: tf.randomNormal([K, K, C, O], 0, 1, 'float32', 4) as tf.Tensor4D,
    dy: tf.randomNormal([N, H, W, O], 0, 1, 'float32', 5) as tf.Tensor4D,
  }));
  const tfFwd: Baseline = {
    key: 'tfjs-conv-fwd',
    label: 'tfjs conv2d fwd',
    run: tfRun(() => {
      const { x, w } = tfIn();
      return tf.conv2d(x, w, 1, 1);
    }),
    timing: { warmup: 1, minReps: 6, budgetMs: 3000 },
  };
  const tfInput: Baseline = {
    key: 'tfjs-conv-input-grad',
    label: 'tfjs Conv2DBackpropInput',
    run: tfRun(() => {
      const { w, dy } = tfIn();
      return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: [1, 1], pad: 1, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [N, H, W, C] } as unknown as tf.NamedAttrMap) as tf.Tensor;
    }),
    timing: { warmup: 1, minReps: 6, budgetMs: 3000 },
  };
  // ~20 s per call on the reference machine: one timed call, no warm-up.
  const tfFilter: Baseline = {
    key: 'tfjs-conv-weight-grad',
    label: 'tfjs Conv2DBackpropFilter',
    run: tfRun(() => {
      const { x, dy } = tfIn();
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: 1, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [K, K, C, O] } as unknown as tf.NamedAttrMap) as tf.Tensor;
    }),
    timing: { warmup: 0, minReps: 1, maxReps: 1 },
  };
  for (const dtype of DTYPES) {
    const ins = lazy(() => ({
      x: randn([N, C, H, W], { rng: 3, dtype }),
      w: randn([O, C, K, K], { rng: 4, dtype }),
      g: randn([N, O, H, W], { rng: 5, dtype }),
    }));
    const timing = { warmup: 2, minReps: 5, budgetMs: 1500 };
    register({ name: 'conv2d fwd', shape, dtype, flops, ours: (): Tensor => conv2d(ins().x, ins().w, opts), oursTiming: timing, baseline: tfFwd });
    register({
      name: 'conv2d input grad',
      shape,
      dtype,
      flops,
      ours: (): Tensor => conv2dInputGrad(ins().g, ins().w, [N, C, H, W], opts),
      oursTiming: timing,
      baseline: tfInput,
      alsoVs: [tfFwd],
    });
    register({
      name: 'conv2d weight grad',
      shape,
      dtype,
      flops,
      ours: (): Tensor => conv2dWeightGrad(ins().x, ins().g, [O, C, K, K], opts),
      oursTiming: timing,
      baseline: tfFilter,
      alsoVs: [tfFwd],
    });
  }
}
