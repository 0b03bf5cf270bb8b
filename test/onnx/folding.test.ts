import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autodiff/mode.js';
import { gelu } from '../../src/autodiff/ops/unary.js';
import { loadOnnx } from '../../src/onnx/index.js';
import { arange } from '../../src/tensor/create.js';
import { reshape } from '../../src/tensor/movement.js';
import { expectClose } from '../support/check.js';
import { DOUBLE, f32, INT64, model, msg, str, tensorProto, vint, type Field } from './support/encode.js';

const x = (n: number): ReturnType<typeof arange> => reshape(arange(0, n * 18, 1, { dtype: 'float64' }), [n, 2, 3, 3]);
const i64 = (name: string, values: number[]): Field => tensorProto(name, INT64, [values.length], values);

describe('initializer encodings', () => {
  it('typed fields: float_data, double_data, int64_data, and float16 bits in int32_data', () => {
    const typed = (name: string, type: number, field: Field[]): Field => msg(5, [vint(1, 3), vint(2, type), str(8, name), ...field]);
    const half = [0x3c00, 0xc000, 0x3800]; // 1, -2, 0.5
    const b = model({
      input: { name: 'x', dims: [3] },
      initializers: [
        typed('a', 1, [[0x22, 12, ...[1.5, -2, 4].flatMap((v) => f32(0, v).slice(1))]]), // packed float_data
        typed('b', 11, [3, 4, 5].map((v) => { const d = new DataView(new ArrayBuffer(8)); d.setFloat64(0, v, true); return [0x51, ...new Uint8Array(d.buffer)]; })), // unpacked double_data
        typed('h', 10, half.map((v) => vint(5, v))),
      ],
      nodes: [{ op: 'Add', inputs: ['x', 'a'], outputs: ['s'] }, { op: 'Mul', inputs: ['s', 'b'], outputs: ['t'] }, { op: 'Cast', inputs: ['h'], outputs: ['hd'], attrs: { to: DOUBLE } }, { op: 'Add', inputs: ['t', 'hd'], outputs: ['y'] }],
    });
    const y = loadOnnx(b, { dtype: 'float64' }).forward(arange(0, 3, 1, { dtype: 'float64' }));
    expect(Array.from(y.data)).toEqual([(0 + 1.5) * 3 + 1, (1 - 2) * 4 - 2, (2 + 4) * 5 + 0.5]);
  });
});

describe('shape arithmetic folds at load, with the batch tracked', () => {
  // Reshape(x, Concat(Gather(Shape(x), 0), [-1])) = x.view(x.shape[0], -1), on a symbolic batch.
  const flattenByShape = model({
    opset: 15,
    input: { name: 'x', dims: ['batch', 2, 3, 3] },
    initializers: [i64('zero', [0]), i64('minus1', [-1])],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'] },
      { op: 'Concat', inputs: ['n', 'minus1'], outputs: ['target'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['x', 'target'], outputs: ['flat'] },
      { op: 'Shape', inputs: ['x'], outputs: ['hw'], attrs: { start: 2 } },
      { op: 'ConstantOfShape', inputs: ['hw'], outputs: ['ones'], attrs: { value: { tensor: tensorProto('value', DOUBLE, [1], [1], 5) } } },
      { op: 'Size', inputs: ['ones'], outputs: ['nine'] },
      { op: 'Cast', inputs: ['nine'], outputs: ['nine_f'], attrs: { to: DOUBLE } },
      { op: 'Div', inputs: ['flat', 'nine_f'], outputs: ['y'] },
    ],
  });

  it('the run-time graph holds only tensor ops', () => {
    expect(loadOnnx(flattenByShape).layers().map((l) => l.op)).toEqual(['Reshape', 'Div']);
  });

  it.each([1, 3])('a batch of %i', (n) => {
    const m = loadOnnx(flattenByShape, { dtype: 'float64' });
    expect(m.batchFixed).toBeNull();
    const y = noGrad(() => m.forward(x(n)));
    expect([...y.shape]).toEqual([n, 18]);
    expectClose(y.data, Array.from(x(n).data, (v) => v / 9));
  });

  it('a reshape with the export batch baked in makes the model run one image at a time, saying why', () => {
    const baked = model({ input: { name: 'x', dims: [1, 2, 3, 3] }, initializers: [i64('t', [1, 18])], nodes: [{ op: 'Reshape', inputs: ['x', 't'], outputs: ['y'], name: '/flatten' }] });
    const m = loadOnnx(baked, { dtype: 'float64' });
    expect(m.batchFixed).toBe("Reshape '/flatten': cannot reshape [2,2,3,3] (36 elements) to [1,18] with a batch of 2");
    expectClose(noGrad(() => m.forward(x(3))).data, x(3).data);
  });

  it('Range folds; an ONNX Runtime contrib Gelu (com.microsoft) runs', () => {
    const b = model({
      domains: { 'com.microsoft': 1 },
      input: { name: 'x', dims: [1, 2, 3, 3] },
      initializers: [tensorProto('s', INT64, [], [0]), tensorProto('l', INT64, [], [3]), tensorProto('d', INT64, [], [1])],
      nodes: [
        { op: 'Range', inputs: ['s', 'l', 'd'], outputs: ['r'] },
        { op: 'Cast', inputs: ['r'], outputs: ['rf'], attrs: { to: DOUBLE } },
        { op: 'Gelu', inputs: ['x'], outputs: ['g'], domain: 'com.microsoft' },
        { op: 'Add', inputs: ['g', 'rf'], outputs: ['y'] },
      ],
    });
    const m = loadOnnx(b, { dtype: 'float64' });
    const input = reshape(arange(-1, 0.8, 0.1, { dtype: 'float64' }), [1, 2, 3, 3]);
    const expected = Array.from(gelu(input).data, (v, i) => v + (i % 3));
    expectClose(noGrad(() => m.forward(input)).data, expected, 1e-15, 1e-15);
  });
});
