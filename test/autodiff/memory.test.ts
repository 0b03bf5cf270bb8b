/**
 * Repeated forward + backward passes must not accumulate memory: a backward pass without
 * retainGraph releases every node it visits (their saved tensors and VJP closures), so the whole
 * graph of a pass becomes garbage once its output is dropped.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { nodeOf, requiresGrad } from '../../src/autodiff/node.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { Conv2d, GlobalAvgPool, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/layers.js';
import { randn } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/**
 * A full garbage collection, if one can be triggered: global.gc when node runs with --expose-gc,
 * else the flag is switched on at run time and gc taken from a fresh context. Null if neither works.
 */
function findGc(): (() => void) | null {
  const g = (globalThis as { gc?: unknown }).gc;
  if (typeof g === 'function') return g as () => void;
  try {
    v8.setFlagsFromString('--expose-gc');
    const f: unknown = vm.runInNewContext('gc');
    if (typeof f === 'function') return f as () => void;
  } catch {
    // No way to force a collection: the caller uses a generous bound instead.
  }
  return null;
}

const gc = findGc();

/** Let pending WeakRef targets go (they are kept until the current job ends), then collect. */
async function collect(): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
  if (gc !== null) {
    gc();
    gc();
  }
}

function smallCnn(): Sequential {
  const rng = new Rng(2024);
  return new Sequential(
    new Conv2d(3, 4, 3, { rng }),
    new ReLU(),
    new MaxPool2d({ kernelSize: 2 }),
    new GlobalAvgPool(),
    new Linear(4, 10, { rng }),
  );
}

describe('memory: repeated forward + grad passes', () => {
  it('1,000 passes on a small CNN do not grow the heap, and each pass releases its graph', async () => {
    const model = smallCnn();
    const params = model.parameters();
    expect(params.length).toBe(4);
    const x = requiresGrad(randn([1, 3, 8, 8], { rng: 1 }));
    // Weak references to each pass's output and first activation: all must be collectable later.
    const refs: WeakRef<Tensor>[] = [];
    let activation: Tensor | null = null;
    model.registerForwardHook((out) => {
      activation = out;
    });
    let first: number[] | null = null;

    const pass = (i: number): void => {
      const out = model.call(x);
      const loss = sum(out);
      const grads = grad(loss, [x, ...params]);
      expect(grads.length).toBe(5);
      const checksum = grads.map((g) => Array.from(g.data).reduce((s, v) => s + v, 0));
      if (first === null) first = checksum;
      else if (checksum.some((c, k) => c !== first![k])) expect.fail(`pass ${i}: gradients changed (${checksum} vs ${first})`);
      // The pass released its graph: the output's node is empty, a second backward throws.
      expect(nodeOf(loss)!.released).toBe(true);
      expect(() => grad(loss, x)).toThrow(/was released by an earlier backward pass; pass retainGraph: true/);
      if (i % 100 === 0) {
        refs.push(new WeakRef(out), new WeakRef(loss));
        if (activation !== null) refs.push(new WeakRef(activation));
      }
      activation = null;
    };

    for (let i = 0; i < 50; i++) pass(i); // warm-up: JIT, scratch buffers of the conv kernels
    await collect();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) pass(i);
    await collect();
    const after = process.memoryUsage().heapUsed;
    const growthMB = (after - before) / 2 ** 20;
    // With a forced collection the heap is back to its size before the loop (a little slack for
    // JIT code and metadata); without one, only a gross leak (a graph per pass) is detectable.
    expect(growthMB).toBeLessThan(gc !== null ? 4 : 50);
    if (gc !== null) {
      const alive = refs.filter((r) => r.deref() !== undefined).length;
      expect(alive, `${alive} of ${refs.length} tensors of past passes are still reachable`).toBe(0);
    }
  });

  it('the same passes with retainGraph keep the graph usable until it is dropped', async () => {
    const model = smallCnn();
    const x = requiresGrad(randn([1, 3, 8, 8], { rng: 2 }));
    const refs: WeakRef<Tensor>[] = [];
    for (let i = 0; i < 200; i++) {
      const loss = sum(model.call(x));
      const [g1] = grad(loss, x, { retainGraph: true });
      const [g2] = grad(loss, x); // the retained graph works once more, then is released
      expect(Array.from(g2!.data)).toEqual(Array.from(g1!.data));
      expect(() => grad(loss, x)).toThrow(/released/);
      if (i % 20 === 0) refs.push(new WeakRef(loss));
    }
    await collect();
    if (gc !== null) expect(refs.filter((r) => r.deref() !== undefined).length).toBe(0);
  });
});
