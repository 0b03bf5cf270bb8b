import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autodiff/mode.js';
import { loadOnnx } from '../../src/onnx/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { checkAllOrders, tensorArb, type ValueKind } from '../support/ad.js';
import { runs } from '../support/check.js';
import { BOOL, DOUBLE, INT64, model, tensorProto, type Field, type NodeSpec } from './support/encode.js';
import { loadFixture, reference, relError } from './support/fixtures.js';

// Operators and attribute forms beyond the classifiers: torch.onnx's export of a module using
// them (opsets 17 and 11, float32 and float64) and graphs built with onnx.helper for forms torch
// never writes (auto_pad, asymmetric pads, Gemm's transA/alpha/beta, float16 initializers,
// Softmax-11's coercion, Split/ReduceMean attributes, Gelu-20), against PyTorch's values.
describe('operator values against PyTorch', () => {
  const ref = reference('ops');
  const outputs = (file: string, dtype: 'float32' | 'float64', input: Tensor): Tensor[] => {
    const m = loadFixture(file, { dtype });
    return noGrad(() => m.run(input));
  };

  it.each([['ops.opset17.onnx', 'float32', 'f32', 1e-5], ['ops.opset11.onnx', 'float32', 'f32', 1e-5], ['ops.f64.onnx', 'float64', 'f64', 1e-12]] as const)(
    '%s (%s)', (file, dtype, prefix, tol) => {
      const outs = outputs(file, dtype, ref.get('input'));
      expect(outs.length).toBe(28);
      outs.forEach((o, i) => {
        const e = ref.get(`${prefix}.out${i}`);
        expect([i, ...o.shape]).toEqual([i, ...e.shape]);
        expect(relError(o.data, e.data), `out${i}`).toBeLessThan(tol);
      });
    },
  );

  it.each(['ops-manual.onnx', 'ops-manual.opset11.onnx', 'ops-manual.opset20.onnx'])('%s (float64)', (file) => {
    const m = loadFixture(file, { dtype: 'float64' });
    const outs = noGrad(() => m.run(ref.get('manual.input')));
    m.outputNames.forEach((name, i) => {
      const e = ref.get(`manual.${name}`);
      expect([name, ...outs[i]!.shape]).toEqual([name, ...e.shape]);
      expect(relError(outs[i]!.data, e.data), name).toBeLessThan(1e-12);
    });
  });
});

/** A one-operator graph (plus helper nodes) on input x of `dims`, in float64. */
interface Row {
  name: string;
  nodes: NodeSpec[];
  dims: number[];
  kind: ValueKind;
  init?: Field[];
  opset?: number;
}

const d = (name: string, dims: number[], values: number[]): Field => tensorProto(name, DOUBLE, dims, values);
const i64 = (name: string, values: number[]): Field => tensorProto(name, INT64, [values.length], values);
const one = (op: string, attrs: NodeSpec['attrs'] = {}, inputs = ['x']): NodeSpec[] => [{ op, inputs, outputs: ['y'], attrs }];
const X = [1, 2, 3, 3];

// Every operator's derivatives through the graph at orders 1-3 against finite differences
// (camlab composes each from its differentiable ops; values avoid each op's kinks).
const ROWS: Row[] = [
  { name: 'Relu', nodes: one('Relu'), dims: X, kind: 'awayFromZero' },
  { name: 'LeakyRelu', nodes: one('LeakyRelu', { alpha: { float: 0.1 } }), dims: X, kind: 'awayFromZero' },
  { name: 'PRelu', nodes: one('PRelu', {}, ['x', 's']), dims: X, kind: 'awayFromZero', init: [d('s', [2, 1, 1], [0.25, -0.5])] },
  { name: 'Clip (min only)', nodes: one('Clip', {}, ['x', 'lo']), dims: X, kind: 'awayFromZero', init: [d('lo', [], [0])] },
  { name: 'HardSigmoid', nodes: one('HardSigmoid'), dims: X, kind: 'smooth' },
  { name: 'HardSwish', nodes: one('HardSwish'), dims: X, kind: 'smooth' },
  { name: 'Gelu', nodes: one('Gelu'), dims: X, kind: 'smooth', opset: 20 },
  { name: 'Gelu (tanh)', nodes: one('Gelu', { approximate: 'tanh' }), dims: X, kind: 'smooth', opset: 20 },
  { name: 'Erf', nodes: one('Erf'), dims: X, kind: 'smooth' },
  { name: 'Tanh', nodes: one('Tanh'), dims: X, kind: 'smooth' },
  { name: 'Sigmoid', nodes: one('Sigmoid'), dims: X, kind: 'smooth' },
  { name: 'Sqrt', nodes: one('Sqrt'), dims: X, kind: 'positive' },
  { name: 'Abs', nodes: one('Abs'), dims: X, kind: 'awayFromZero' },
  { name: 'Neg', nodes: one('Neg'), dims: X, kind: 'smooth' },
  { name: 'Pow', nodes: one('Pow', {}, ['x', 'e']), dims: X, kind: 'positive', init: [d('e', [], [2.5])] },
  { name: 'Mul (x·x)', nodes: one('Mul', {}, ['x', 'x']), dims: X, kind: 'smooth' },
  { name: 'Div', nodes: one('Div', {}, ['c', 'x']), dims: X, kind: 'positive', init: [d('c', [3], [1, -2, 0.5])] },
  { name: 'Sub', nodes: one('Sub', {}, ['x', 'c']), dims: X, kind: 'smooth', init: [d('c', [3], [1, -2, 0.5])] },
  { name: 'Softmax (opset 13, axis 1)', nodes: one('Softmax', { axis: 1 }), dims: X, kind: 'smooth' },
  { name: 'Softmax (opset 11, coerced to 2-D at axis 1)', nodes: one('Softmax', { axis: 1 }), dims: X, kind: 'smooth', opset: 11 },
  { name: 'LayerNormalization', nodes: one('LayerNormalization', { axis: -2, epsilon: { float: 1e-3 } }, ['x', 'g', 'b']), dims: X, kind: 'smooth', init: [d('g', [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => v / 5)), d('b', [3], [0.1, 0.2, 0.3])] },
  { name: 'BatchNormalization', nodes: one('BatchNormalization', {}, ['x', 'g', 'b', 'm', 'v']), dims: X, kind: 'smooth', init: [d('g', [2], [1.5, 0.5]), d('b', [2], [0.1, -0.2]), d('m', [2], [0.3, -0.1]), d('v', [2], [0.8, 1.7])] },
  { name: 'ReduceMean', nodes: one('ReduceMean', { axes: [1, 3], keepdims: 0 }), dims: X, kind: 'smooth' },
  { name: 'GlobalAveragePool', nodes: one('GlobalAveragePool'), dims: X, kind: 'smooth' },
  { name: 'AveragePool (asymmetric pads, padding excluded)', nodes: one('AveragePool', { kernel_shape: [2, 2], pads: [1, 0, 0, 1] }), dims: X, kind: 'smooth' },
  { name: 'MaxPool (asymmetric pads, ceil_mode)', nodes: one('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 1, 1, 0], ceil_mode: 1 }), dims: X, kind: 'distinct' },
  { name: 'Conv (groups, asymmetric pads, bias)', nodes: one('Conv', { group: 2, pads: [1, 0, 0, 1] }, ['x', 'w', 'b']), dims: X, kind: 'smooth', init: [d('w', [2, 1, 2, 2], [0.5, -1, 0.25, 2, 1, 1, -0.5, 0.3]), d('b', [2], [0.1, -0.1])] },
  { name: 'Conv (SAME_UPPER, stride 2)', nodes: one('Conv', { auto_pad: 'SAME_UPPER', strides: [2, 2] }, ['x', 'w']), dims: X, kind: 'smooth', init: [d('w', [1, 2, 2, 2], [0.5, -1, 0.25, 2, 1, 1, -0.5, 0.3])] },
  { name: 'Gemm (transA, alpha, beta)', nodes: one('Gemm', { transA: 1, alpha: { float: 0.5 }, beta: { float: 2 } }, ['x', 'w', 'c']), dims: [3, 2], kind: 'smooth', init: [d('w', [3, 2], [1, 2, 3, -1, -2, 0.5]), d('c', [2], [1, -1])] },
  { name: 'MatMul (x·xᵀ)', nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: [0, 1, 3, 2] } }, { op: 'MatMul', inputs: ['x', 'xt'], outputs: ['y'] }], dims: X, kind: 'smooth' },
  { name: 'Pad (reflect)', nodes: one('Pad', { mode: 'reflect' }, ['x', 'p']), dims: X, kind: 'smooth', init: [i64('p', [0, 0, 1, 2, 0, 0, 2, 1])] },
  { name: 'Pad (edge)', nodes: one('Pad', { mode: 'edge' }, ['x', 'p']), dims: X, kind: 'smooth', init: [i64('p', [0, 0, 2, 0, 0, 0, 0, 1])] },
  { name: 'Pad (constant)', nodes: one('Pad', {}, ['x', 'p', 'c']), dims: X, kind: 'smooth', init: [i64('p', [0, 0, 1, 1, 0, 0, 1, 1]), d('c', [], [0.5])] },
  { name: 'Slice (negative step)', nodes: one('Slice', {}, ['x', 's', 'e', 'a', 't']), dims: X, kind: 'smooth', init: [i64('s', [-1, 2]), i64('e', [-100, 0]), i64('a', [3, 2]), i64('t', [-2, -1])] },
  { name: 'Gather (2-D, negative indices)', nodes: one('Gather', { axis: 2 }, ['x', 'i']), dims: X, kind: 'smooth', init: [tensorProto('i', INT64, [2, 2], [0, -1, 1, 1])] },
  { name: 'Expand', nodes: one('Expand', {}, ['x', 's']), dims: [1, 2, 1, 3], kind: 'smooth', init: [i64('s', [2, 1, 2, 1, 1])] },
  { name: 'Concat', nodes: one('Concat', { axis: 1 }, ['x', 'x']), dims: X, kind: 'smooth' },
  { name: 'Split (second output)', nodes: [{ op: 'Split', inputs: ['x', 'sp'], outputs: ['a', 'y'], attrs: { axis: 2 } }], dims: X, kind: 'smooth', init: [i64('sp', [1, 2])] },
  { name: 'Transpose, Reshape, Flatten, Unsqueeze, Squeeze', dims: X, kind: 'smooth', init: [i64('r', [3, -1]), i64('ax', [0])], nodes: [
    { op: 'Transpose', inputs: ['x'], outputs: ['t'], attrs: { perm: [0, 3, 1, 2] } }, { op: 'Reshape', inputs: ['t', 'r'], outputs: ['r1'] },
    { op: 'Flatten', inputs: ['r1'], outputs: ['f'], attrs: { axis: 0 } }, { op: 'Unsqueeze', inputs: ['f', 'ax'], outputs: ['u'] },
    { op: 'Squeeze', inputs: ['u', 'ax'], outputs: ['y'] }] },
  { name: 'Where (load-time condition)', nodes: one('Where', {}, ['c', 'x', 'k']), dims: X, kind: 'smooth', init: [tensorProto('c', BOOL, [3], [1, 0, 1]), d('k', [], [0.5])] },
];

describe('derivatives through ONNX operators: orders 1-3 against finite differences', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const m = loadOnnx(model({ opset: row.opset ?? 17, input: { name: 'x', dims: row.dims }, nodes: row.nodes, initializers: row.init ?? [], outputs: ['y'] }), { dtype: 'float64' });
    fc.assert(fc.property(tensorArb(row.dims, row.kind), (x) => {
      checkAllOrders((t) => m.forward(t), [x]);
    }), runs(3));
  });
});
