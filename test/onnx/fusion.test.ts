import { describe, expect, it, vi } from 'vitest';
import { enableGrad, noGrad } from '../../src/autodiff/mode.js';
import * as unary from '../../src/autodiff/ops/unary.js';
import { planFusions } from '../../src/onnx/fusion.js';
import type { OnnxModel } from '../../src/onnx/index.js';
import type { Plan } from '../../src/onnx/plan.js';
import { cast } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { BACKENDS, useBackend } from '../support/backends.js';
import { loadFixture, reference } from './support/fixtures.js';

// Inference without a graph runs a Conv with the Relu, Add or Add → Relu after it as one kernel
// call: the same bits as the nodes one by one (as they run while a graph is recorded), and the
// nodes a hook watches are left alone.

const bits = (t: Tensor): string[] => Array.from(t.data, (v) => (Object.is(v, -0) ? '-0' : String(v)));

/** The graph's output node by node: with grad mode on nothing is fused. */
const nodeByNode = (m: OnnxModel, x: Tensor): Tensor => enableGrad(() => m.call(x));

describe.each(BACKENDS)('ONNX conv fusion (%s backend)', (backend) => {
  useBackend(backend);

  for (const [file, dtype] of [['resnet18.onnx', 'float32'], ['resnet18.f64.onnx', 'float64'], ['mobilenet_v2.onnx', 'float32'], ['resnet50.onnx', 'float32']] as const) {
    it(`${file}: fused inference has the bits of the nodes one by one`, () => {
      const m = loadFixture(file, { dtype });
      const x = cast(reference(file.split('.')[0]!).get('input'), dtype);
      expect(bits(noGrad(() => m.call(x)))).toEqual(bits(nodeByNode(m, x)));
    });
  }

  it('ResNet-18: every Relu after a Conv or a residual Add is fused, unless a hook watches the Conv or the Add', () => {
    const m = loadFixture('resnet18.onnx', { dtype: 'float32' });
    const x = reference('resnet18').get('input');
    const plan = (m as unknown as { primary: Plan }).primary;
    const fusions = [...planFusions(plan).values()];
    expect(fusions.some((f) => f.residual !== null && f.relu)).toBe(true);
    const relus = plan.steps.filter((s) => s.graphNode.node.opType === 'Relu').length;
    const relu = vi.spyOn(unary, 'relu');
    const ref = bits(noGrad(() => m.call(x)));
    expect(relu.mock.calls.length).toBe(relus - fusions.filter((f) => f.relu).length);
    // A hook on a fused Conv's output: that Conv runs alone, its Relu too, and the hook sees the Conv's output.
    const conv = fusions[0]!.hidden[0]!;
    const seen: Tensor[] = [];
    const h = m.get(conv).registerForwardHook((out) => {
      seen.push(out);
    });
    relu.mockClear();
    const hooked = bits(noGrad(() => m.call(x)));
    h.remove();
    expect(relu.mock.calls.length).toBe(relus - fusions.filter((f) => f.relu).length + 1);
    expect(hooked).toEqual(ref);
    expect(seen.length).toBe(1);
    expect(seen[0]!.data.some((v) => v < 0)).toBe(true); // before its Relu
    relu.mockRestore();
  });
});
