/**
 * Kernel rows: the wasm SIMD ceiling, matmul 512³ and the three conv2d kernels (64→64, 3×3, 56²),
 * ours against tfjs-cpu, tfjs-wasm and onnxruntime-web run in the same process. The baselines
 * compute in float32 only, so their float32 kernel is the baseline of our float64 rows too.
 */
import { conv2d, conv2dInputGrad, conv2dWeightGrad, type Conv2dOptions } from '../src/tensor/conv.js';
import { randn } from '../src/tensor/create.js';
import type { DType } from '../src/tensor/dtype.js';
import { matmul } from '../src/tensor/matmul.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { ensureModels, noise, ort, ortBaseline, tf, tfBaseline } from './baselines.js';
import { CEILING_CHAINS, ceilingFlopsPerIteration, simdCeiling } from './ceiling.js';
import { lazy, register, type Baseline } from './harness.js';

export const NOTES = [
  'baselines run in this process: tfjs-core 4.22 with tfjs-backend-cpu (pure JS) and tfjs-backend-wasm (XNNPACK, 1 thread), onnxruntime-web 1.30 wasm (1 or 2 intra-op threads); all float32, also the baseline of our float64 rows.',
  'tfjs convolutions run in its native NHWC layout (HWIO filters); ours and onnxruntime-web in NCHW/OIHW.',
  'speed-up = baseline ms / ours ms; GFLOP/s counts 2 flops per multiply-add of ours; range = fastest and slowest of our samples (the machine is shared).',
  'wasm SIMD ceiling = independent f32x4 (f64x2) multiplies and adds, no FMA (128-bit wasm SIMD has none): the GEMM rows over it are the fraction of peak.',
];

const DTYPES: readonly DType[] = ['float32', 'float64'];

// onnxruntime-web runs the matmul and conv models of bench/.models; without them its rows are left out, and said so.
const modelsMissing = ensureModels();
if (modelsMissing !== null) process.stderr.write(`bench: matmul and conv rows against onnxruntime-web skipped: ${modelsMissing}\n`);
const ortRows = (make: () => Baseline[]): Baseline[] => (modelsMissing === null ? make() : []);

// ---- the ceiling -------------------------------------------------------------------------------

for (const dt of ['f32', 'f64'] as const) {
  const c = lazy(() => simdCeiling(dt));
  const iterations = 2_000_000;
  register({
    name: 'wasm SIMD ceiling',
    shape: `${dt === 'f32' ? 'f32x4' : 'f64x2'} mul + add, ${CEILING_CHAINS}+${CEILING_CHAINS} chains`,
    dtype: dt === 'f32' ? 'float32' : 'float64',
    flops: iterations * ceilingFlopsPerIteration(dt),
    ours: () => c().run(iterations),
    oursTiming: { warmup: 2, minReps: 5, budgetMs: 600 },
  });
}

// ---- matmul 512³ -------------------------------------------------------------------------------

{
  const n = 512;
  const timing = { warmup: 2, minReps: 6, budgetMs: 2000 };
  const tfIn = (): [tf.Tensor2D, tf.Tensor2D] => [tf.randomNormal([n, n], 0, 1, 'float32', 1), tf.randomNormal([n, n], 0, 1, 'float32', 2)];
  const baselines: Baseline[] = [
    tfBaseline('cpu', 'matmul-512', `matMul ${n}^3`, tfIn, ([a, b]) => tf.matMul(a, b), timing),
    tfBaseline('wasm', 'matmul-512', `matMul ${n}^3`, tfIn, ([a, b]) => tf.matMul(a, b), timing),
    ...ortRows(() => [ortBaseline('matmul-512.onnx', `MatMul ${n}^3`, 1, () => ({ a: new ort.Tensor('float32', noise(n * n, 1), [n, n]), b: new ort.Tensor('float32', noise(n * n, 2), [n, n]) }), timing)]),
  ];
  for (const dtype of DTYPES) {
    const inputs = lazy(() => [randn([n, n], { rng: 1, dtype }), randn([n, n], { rng: 2, dtype })] as const);
    register({
      name: 'matmul',
      shape: `${n}x${n}x${n}`,
      dtype,
      flops: 2 * n * n * n,
      ours: () => matmul(inputs()[0], inputs()[1]),
      oursTiming: timing,
      baselines,
    });
  }
}

// ---- conv2d 64->64 3x3 pad 1 on 1x64x56x56 ------------------------------------------------------

{
  const [N, C, H, W, O, K] = [1, 64, 56, 56, 64, 3];
  const opts: Conv2dOptions = { padding: 1 };
  const flops = 2 * N * O * H * W * C * K * K;
  const shape = `x[${N},${C},${H},${W}] w[${O},${C},${K},${K}] pad 1`;
  const timing = { warmup: 2, minReps: 6, budgetMs: 2000 };
  const tfIn = () => ({
    x: tf.randomNormal([N, H, W, C], 0, 1, 'float32', 3) as tf.Tensor4D,
    w: tf.randomNormal([K, K, C, O], 0, 1, 'float32', 4) as tf.Tensor4D,
    dy: tf.randomNormal([N, H, W, O], 0, 1, 'float32', 5) as tf.Tensor4D,
  });
  const fwd = (i: ReturnType<typeof tfIn>) => tf.conv2d(i.x, i.w, 1, 1);
  const dx = (i: ReturnType<typeof tfIn>) =>
    tf.engine().runKernel('Conv2DBackpropInput', { dy: i.dy, filter: i.w }, { strides: [1, 1], pad: 1, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [N, H, W, C] } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const dw = (i: ReturnType<typeof tfIn>) =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x: i.x, dy: i.dy }, { strides: [1, 1], pad: 1, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [K, K, C, O] } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const ortConv = (threads: number): Baseline => ortBaseline('conv-64x56.onnx', 'Conv 64->64 3x3 56^2', threads, () => ({ x: new ort.Tensor('float32', noise(N * C * H * W, 3), [N, C, H, W]) }), timing);
  const fwdBase = [tfBaseline('cpu', 'conv-fwd', 'conv2d fwd', tfIn, fwd, timing), tfBaseline('wasm', 'conv-fwd', 'conv2d fwd', tfIn, fwd, timing), ...ortRows(() => [ortConv(1), ortConv(2)])];
  const dxBase = [tfBaseline('cpu', 'conv-dx', 'Conv2DBackpropInput', tfIn, dx, timing), tfBaseline('wasm', 'conv-dx', 'Conv2DBackpropInput', tfIn, dx, timing)];
  // tfjs-wasm has no Conv2DBackpropFilter; tfjs-cpu's takes ~20 s: one timed call, no warm-up.
  const dwBase = [tfBaseline('cpu', 'conv-dw', 'Conv2DBackpropFilter', tfIn, dw, { warmup: 0, minReps: 1, maxReps: 1 })];
  for (const dtype of DTYPES) {
    const ins = lazy(() => ({
      x: randn([N, C, H, W], { rng: 3, dtype }),
      w: randn([O, C, K, K], { rng: 4, dtype }),
      g: randn([N, O, H, W], { rng: 5, dtype }),
    }));
    for (const threads of dtype === 'float32' ? [1, 2] : [1]) {
      const common = { shape, dtype, flops, threads, oursTiming: timing };
      register({ ...common, name: 'conv2d fwd', ours: (): Tensor => conv2d(ins().x, ins().w, opts), baselines: fwdBase });
      register({ ...common, name: 'conv2d input grad', ours: (): Tensor => conv2dInputGrad(ins().g, ins().w, [N, C, H, W], opts), baselines: dxBase });
      register({ ...common, name: 'conv2d weight grad', ours: (): Tensor => conv2dWeightGrad(ins().x, ins().g, [O, C, K, K], opts), baselines: dwBase });
    }
  }
}
