import { afterAll, describe, expect, it, vi } from 'vitest';
import '../../src/node-workers.js';
import { enableGrad, noGrad } from '../../src/autodiff/mode.js';
import { heInit } from '../../src/nn/init.js';
import { BasicBlock, BatchNorm2d, Conv2d, GlobalAvgPool, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/layers.js';
import type { Module } from '../../src/nn/module.js';
import { randn } from '../../src/tensor/create.js';
import type { DType } from '../../src/tensor/dtype.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { getThreads, setThreads } from '../../src/tensor/wasm/threads.js';
import { BACKENDS, useBackend } from '../support/backends.js';

// Inference without a graph runs conv → batch norm → (+ residual) → relu as one kernel call. It
// must give the bits of the layers run one by one (as they run while a graph is recorded), and
// step aside for any layer a hook watches.

const bits = (t: Tensor): string[] => Array.from(t.data, (v) => (Object.is(v, -0) ? '-0' : String(v)));

/** Random batch-norm statistics, so the layers are not identities. */
function randomizeBn(m: Module, seed: number): void {
  const rng = new Rng(seed);
  for (const [name, t] of m.stateDict()) {
    if (/running_var|weight$/.test(name) && t.ndim === 1) for (let i = 0; i < t.size; i++) t.data[i] = 0.5 + rng.uniform();
    if (/running_mean|bias$/.test(name) && t.ndim === 1) for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * 0.2;
  }
}

function model(dtype: DType): Sequential {
  const rng = new Rng(3);
  const init = { rng, dtype };
  const m = Sequential.named([
    ['stem', new Sequential(new Conv2d(3, 8, 3, { ...init, padding: 1 }), new BatchNorm2d(8, { dtype }), new ReLU(), new MaxPool2d({ kernelSize: 2 }))],
    ['block1', new BasicBlock(8, 8, init)],
    ['block2', new BasicBlock(8, 16, { ...init, stride: 2 })],
    ['tail', new Sequential(new Conv2d(16, 16, 1, init), new ReLU(), new Conv2d(16, 16, 3, { ...init, padding: 1, bias: false }), new BatchNorm2d(16, { dtype }))],
    ['pool', new GlobalAvgPool()],
    ['fc', new Linear(16, 5, init)],
  ]);
  heInit(m.namedParameters(), new Rng(4));
  randomizeBn(m, 5);
  return m.eval();
}

/** The output layer by layer: with grad mode on, nothing is fused (the weights require grad). */
const layerByLayer = (m: Module, x: Tensor): Tensor => enableGrad(() => m.call(x));

describe.each(BACKENDS)('fused inference (%s backend)', (backend) => {
  useBackend(backend);
  const before = getThreads();
  afterAll(() => setThreads(before));

  it('gives the bits of the layers run one by one, float32 and float64, 1 and 2 threads', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const m = model(dtype);
      const x = randn([2, 3, 16, 12], { rng: 6, dtype });
      const ref = layerByLayer(m, x);
      for (const threads of [1, 2]) {
        setThreads(threads);
        // Fused: no batch norm or relu layer runs on its own (the max pool and the head do).
        const bn = vi.spyOn(BatchNorm2d.prototype, 'forward');
        const relu = vi.spyOn(ReLU.prototype, 'forward');
        expect(bits(noGrad(() => m.call(x))), `${dtype} ${threads} threads`).toEqual(bits(ref));
        expect([bn.mock.calls.length, relu.mock.calls.length]).toEqual([0, 0]);
        vi.restoreAllMocks();
      }
    }
  });

  it('a hooked layer is computed and seen: its output can still be read and replaced', () => {
    const m = model('float64');
    const x = randn([1, 3, 16, 12], { rng: 7 });
    for (const name of ['stem.1', 'block1.bn2', 'block2.relu', 'tail.0', 'block2.downsample.1']) {
      const seen: Tensor[] = [];
      const h = m.get(name).registerForwardHook((out) => {
        seen.push(out);
      });
      const fast = noGrad(() => m.call(x));
      h.remove();
      const seenSlow: Tensor[] = [];
      const h2 = m.get(name).registerForwardHook((out) => {
        seenSlow.push(out);
      });
      const slow = layerByLayer(m, x);
      h2.remove();
      expect(bits(fast), name).toEqual(bits(slow));
      expect(seen.map(bits), name).toEqual(seenSlow.map(bits));
      expect(seen.length, name).toBeGreaterThan(0);
      // A hook that replaces the output changes what follows, fused or not.
      const r = m.get(name).registerForwardHook((out) => randn([...out.shape], { rng: 8 }));
      const replaced = noGrad(() => m.call(x));
      r.remove();
      expect(bits(replaced), name).not.toEqual(bits(fast));
    }
  });
});
