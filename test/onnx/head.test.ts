import { describe, expect, it } from 'vitest';
import { cam, gradCam } from '../../src/cam/gradcam.js';
import { loadOnnx } from '../../src/onnx/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/create.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { DOUBLE, INT64, model, tensorProto, type Field, type NodeSpec } from './support/encode.js';

// CAM reads W_fc off an ONNX graph: a 4-D map [1, K=3, 4, 4] read only by global average pooling,
// then reshapes, then one linear layer with constant weights, in the forms torch.onnx and other
// exporters write (Gemm with transB = 1 or 0 and α, MatMul + Add).
const rng = new Rng(7);
const K = 3;
const CLASSES = 2;
const W = Array.from({ length: CLASSES * K }, () => rng.normal()); // [classes, K]
const WT = Array.from({ length: K * CLASSES }, (_, i) => W[(i % CLASSES) * K + Math.floor(i / CLASSES)]!); // [K, classes]
const BIAS = [0.5, -0.25];

function build(head: NodeSpec[], inits: Field[], pool: NodeSpec = { op: 'GlobalAveragePool', inputs: ['a'], outputs: ['p'] }): ReturnType<typeof loadOnnx> {
  const conv: NodeSpec = { op: 'Conv', inputs: ['x', 'wc'], outputs: ['a'], name: '/features/features.0/Conv', attrs: { pads: [1, 1, 1, 1] } };
  const relu: NodeSpec = { op: 'Relu', inputs: ['a0'], outputs: ['a'], name: '/features/features.1/Relu' };
  const wc = tensorProto('wc', DOUBLE, [K, 2, 3, 3], Array.from({ length: K * 18 }, () => rng.normal()));
  return loadOnnx(model({
    input: { name: 'x', dims: [1, 2, 4, 4] },
    nodes: [{ ...conv, outputs: ['a0'] }, relu, pool, ...head],
    initializers: [wc, ...inits],
    outputs: [head.at(-1)!.outputs[0]!],
  }), { dtype: 'float64' });
}

const flatten: NodeSpec = { op: 'Flatten', inputs: ['p'], outputs: ['v'], attrs: { axis: 1 } };
const x = randn([1, 2, 4, 4], { rng: new Rng(3) });

function weightOf(m: ReturnType<typeof loadOnnx>): number[] {
  const w = m.gapLinearWeight('features.1');
  if (!(w instanceof Tensor)) throw new Error(`no head: ${w.follows}`);
  expect([...w.shape]).toEqual([CLASSES, K]);
  return Array.from(w.data);
}

describe('the GAP + linear head of an ONNX graph', () => {
  it('Gemm with transB = 1 (torch.onnx), Gemm with transB = 0 and α, MatMul + Add: W [classes, K]', () => {
    const b = tensorProto('b', DOUBLE, [CLASSES], BIAS);
    const gemm = build([flatten, { op: 'Gemm', inputs: ['v', 'w', 'b'], outputs: ['y'], attrs: { transB: 1 } }], [tensorProto('w', DOUBLE, [CLASSES, K], W), b]);
    expect(weightOf(gemm)).toEqual(W);
    const alpha = build([flatten, { op: 'Gemm', inputs: ['v', 'w', 'b'], outputs: ['y'], attrs: { alpha: { float: 2 } } }], [tensorProto('w', DOUBLE, [K, CLASSES], WT), b]);
    expect(weightOf(alpha)).toEqual(W.map((v) => 2 * v));
    const shape = tensorProto('s', INT64, [2], [1, K]);
    const reduce: NodeSpec = { op: 'ReduceMean', inputs: ['a'], outputs: ['p'], attrs: { axes: [2, 3], keepdims: 1 } };
    const matmul = build([
      { op: 'Reshape', inputs: ['p', 's'], outputs: ['v'] }, { op: 'MatMul', inputs: ['v', 'w'], outputs: ['z'] }, { op: 'Add', inputs: ['z', 'b'], outputs: ['y'] },
    ], [tensorProto('w', DOUBLE, [K, CLASSES], WT), b, shape], reduce);
    expect(weightOf(matmul)).toEqual(W);
    // CAM on it: w_k = W[c, k], and Grad-CAM's weights are W[c, k] / (h·w) on such a head.
    const c = cam(matmul, x, { layer: 'features.1', target: 1 });
    expect(Array.from(c.weights!.data)).toEqual(W.slice(K));
    const g = gradCam(matmul, x, { layer: 'features.1', target: 1 });
    Array.from(g.weights!.data).forEach((v, k) => expect(v).toBeCloseTo(W[K + k]! / 16, 12));
  });

  it('anything else after the layer is not that head, and CAM says what follows instead', () => {
    const w = tensorProto('w', DOUBLE, [CLASSES, K], W);
    const gemm: NodeSpec = { op: 'Gemm', inputs: ['v', 'w'], outputs: ['y'], attrs: { transB: 1 } };
    // A second reader of the map (a residual-like Add of the pooled map and the map).
    const twice = build([flatten, { ...gemm, outputs: ['y0'] }, { op: 'ReduceMean', inputs: ['a'], outputs: ['t'], attrs: { keepdims: 0 } }, { op: 'Add', inputs: ['y0', 't'], outputs: ['y'] }], [w]);
    expect(twice.gapLinearWeight('features.1')).toEqual({ follows: 'GlobalAveragePool → Flatten → Gemm → Add' });
    // Max pooling instead of average pooling.
    const max = build([flatten, gemm], [w], { op: 'MaxPool', inputs: ['a'], outputs: ['p'], attrs: { kernel_shape: [4, 4] } });
    expect(max.gapLinearWeight('features.1')).toEqual({ follows: 'MaxPool → Flatten → Gemm' });
    // A nonlinearity between pooling and the linear layer.
    const relu = build([flatten, { op: 'Relu', inputs: ['v'], outputs: ['r'] }, { ...gemm, inputs: ['r', 'w'] }], [w]);
    expect(relu.gapLinearWeight('features.1')).toEqual({ follows: 'GlobalAveragePool → Flatten → Relu → Gemm' });
    expect(() => cam(relu, x, { layer: 'features.1' })).toThrow(
      "cam: CAM needs global average pooling then one linear layer after 'features.1'; the graph has GlobalAveragePool → Flatten → Relu → Gemm. Use gradcam (equal to CAM on such heads) instead",
    );
    // An unknown layer fails as get() does.
    expect(() => relu.gapLinearWeight('features.9')).toThrow(/^onnx: no layer named 'features\.9'/);
  });
});
