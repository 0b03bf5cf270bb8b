import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backward, dependsOn, grad } from '../../src/autodiff/grad.js';
import { enableGrad, isGradEnabled, noGrad } from '../../src/autodiff/mode.js';
import { detach, Node, nodeOf, requiresGrad } from '../../src/autodiff/node.js';
import { add, mul, sub } from '../../src/autodiff/ops/elementwise.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { cast, exp, relu, square, tanh } from '../../src/autodiff/ops/unary.js';
import { ones, scalar, tensor, zeros } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tap, tapAdd, tensorArb, values, type VjpCall } from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';

const leaf = (v: number[] | number, shape?: number[]): Tensor =>
  requiresGrad(shape === undefined ? tensor(v) : tensor(v, { shape }));

describe('grad: results', () => {
  it('returns the gradients in the order of the inputs', () => {
    const x = leaf([1, 2]);
    const y = leaf([3]);
    const z = leaf(4);
    const f = sum(add(add(mul(x, 2), mul(y, 3)), mul(z, 5)));
    const [gz, gx, gy] = grad(f, [z, x, y], { retainGraph: true });
    expect(values(gz!)).toEqual([10]);
    expect(values(gx!)).toEqual([2, 2]);
    expect(values(gy!)).toEqual([6]);
    expect([...gz!.shape]).toEqual([]);
    // A single tensor as inputs gives a one-element list; a repeated input gets the same gradient.
    expect(grad(f, x, { retainGraph: true }).length).toBe(1);
    const [a, b] = grad(f, [y, y]);
    expect(values(a!)).toEqual([6]);
    expect(values(b!)).toEqual([6]);
  });

  it('uses gradOutputs as the vector of a vector-Jacobian product, summing over several outputs', () => {
    fc.assert(
      fc.property(tensorArb([3]), tensorArb([3]), tensorArb([3]), (x0, v, w) => {
        const x = requiresGrad(x0);
        const [g] = grad(square(x), x, { gradOutputs: v });
        expectClose(g!.data, values(x0).map((xi, i) => 2 * xi * v.data[i]!));
        const [h] = grad([square(x), exp(x)], x, { gradOutputs: [v, w] });
        expectClose(h!.data, values(x0).map((xi, i) => 2 * xi * v.data[i]! + Math.exp(xi) * w.data[i]!), 1e-14, 1e-14);
        // A scalar output next to a non-scalar one: only the non-scalar needs an explicit seed.
        const [k] = grad([sum(x), square(x)], x, { gradOutputs: [scalar(2), v] });
        expectClose(k!.data, values(x0).map((xi, i) => 2 + 2 * xi * v.data[i]!), 1e-14, 1e-14);
      }),
      runs(20),
    );
  });

  it('gradient of an input w.r.t. itself is the seed; of an intermediate, the partial derivative', () => {
    const x = leaf([1, 2, 3]);
    const v = tensor([4, 5, 6]);
    expect(values(grad(x, x, { gradOutputs: v })[0]!)).toEqual([4, 5, 6]);
    const h = exp(x);
    const out = sum(square(h));
    const [gh, gx] = grad(out, [h, x]);
    expectClose(gh!.data, values(x).map((xi) => 2 * Math.exp(xi)));
    expectClose(gx!.data, values(x).map((xi) => 2 * Math.exp(2 * xi)), 1e-12, 1e-14);
  });

  it('accumulates over a diamond (a tensor used several times)', () => {
    const x = leaf([0.5, -1]);
    const a = tanh(x);
    const f = sum(add(mul(a, a), mul(a, x)));
    const [g] = grad(f, x);
    const d = (v: number): number => {
      const t = Math.tanh(v);
      return (2 * t + v) * (1 - t * t) + t;
    };
    expectClose(g!.data, [d(0.5), d(-1)], 1e-15, 1e-14);
  });

  it('float32 leaves get float32 gradients; a float64 seed is cast to the output dtype', () => {
    const x = requiresGrad(tensor([1, 2], { dtype: 'float32' }));
    const y = mul(x, x);
    const [g] = grad(y, x, { gradOutputs: tensor([1, 1]) });
    expect(g!.dtype).toBe('float32');
    expect(values(g!)).toEqual([2, 4]);
    const z = requiresGrad(tensor([1.5]));
    const [gz] = grad(sum(mul(cast(z, 'float32'), 2)), z);
    expect(gz!.dtype).toBe('float64');
    expect(values(gz!)).toEqual([2]);
  });

  it('with createGraph, a seed cast to the output dtype stays differentiable w.r.t. gradOutputs', () => {
    const x = requiresGrad(tensor([0.5, -1.5], { dtype: 'float32' }));
    const v = requiresGrad(tensor([2, 3]));
    const [g] = grad(mul(x, x), x, { gradOutputs: v, createGraph: true });
    expect(g!.dtype).toBe('float32');
    expect(values(g!)).toEqual([2, -9]);
    // ∂Σ(2·x·v)/∂v = 2x, back in v's dtype.
    const [h] = grad(sum(g!), v);
    expect(h!.dtype).toBe('float64');
    expect(values(h!)).toEqual([1, -3]);
  });

  it('handles a 20 000-op chain without recursion', () => {
    const x = leaf(1);
    let y: Tensor = x;
    for (let i = 0; i < 20000; i++) y = add(y, 1e-3);
    expect(values(grad(y, x)[0]!)).toEqual([1]);
  });
});

describe('grad: errors name the problem', () => {
  it('a non-scalar output without gradOutputs', () => {
    const x = leaf([1, 2, 3]);
    expect(() => grad(mul(x, 2), x)).toThrow("grad: output 0 has shape [3]; a non-scalar output needs gradOutputs");
    expect(() => grad([sum(x), mul(x, 2)], x, { gradOutputs: [scalar(1)] })).toThrow('1 gradOutputs given for 2 outputs');
  });

  it('gradOutputs of the wrong shape or number', () => {
    const x = leaf([1, 2, 3]);
    const y = mul(x, 2);
    expect(() => grad(y, x, { gradOutputs: ones([2]) })).toThrow('grad: gradOutputs 0 has shape [2] but output 0 has shape [3]');
    expect(() => grad(y, x, { gradOutputs: ones([3, 1]) })).toThrow('gradOutputs 0 has shape [3,1] but output 0 has shape [3]');
    expect(() => grad(y, x, { gradOutputs: [ones([3]), ones([3])] })).toThrow('grad: 2 gradOutputs given for 1 outputs');
  });

  it('an input that does not require grad, and an output that does not', () => {
    const x = leaf([1, 2]);
    const c = tensor([3, 4]);
    const f = sum(mul(x, c));
    expect(() => grad(f, [x, c])).toThrow('grad: input 1 ([2]) does not require grad; mark it with requiresGrad() before the forward pass');
    expect(() => grad(sum(c), x)).toThrow('grad: output 0 ([]) does not require grad');
    expect(() => grad([], x)).toThrow('needs at least one output');
    expect(() => grad(f, [])).toThrow('needs at least one input');
  });

  it('an unused input throws by default and gives exact zeros with onUnused: zeros', () => {
    const x = leaf([1, 2]);
    const y = leaf([5, 6, 7]);
    const f = sum(square(x));
    expect(() => grad(f, [x, y], { retainGraph: true })).toThrow("grad: input 1 ([3]) is not used by the outputs; pass onUnused: 'zeros' to get zeros instead");
    const [gx, gy] = grad(f, [x, y], { onUnused: 'zeros' });
    expect(values(gx!)).toEqual([2, 4]);
    expect(values(gy!)).toEqual([0, 0, 0]);
    expect([...gy!.shape]).toEqual([3]);
    // A tensor computed from y but not feeding f is unused too.
    expect(() => grad(sum(square(x)), [exp(y)])).toThrow('input 0 ([3]) is not used by the outputs');
  });

  it('requiresGrad on a computed tensor throws; on a detached copy it works', () => {
    const x = leaf([1, 2]);
    const y = mul(x, x);
    expect(() => requiresGrad(y)).toThrow("requiresGrad: only leaf tensors can be marked; this one was computed by 'mul' (use detach() first)");
    const d = requiresGrad(detach(y));
    expect(d.requiresGrad).toBe(true);
    expect(d.node).toBeNull();
    expect(values(grad(sum(square(d)), d)[0]!)).toEqual([2, 8]);
    expect(requiresGrad(tensor([1]), false).requiresGrad).toBe(false);
  });
});

describe('grad: graph lifetime (retainGraph, createGraph)', () => {
  it('a second backward through a released graph throws, naming retainGraph; retainGraph: true allows it', () => {
    const x = leaf([1, 2]);
    const f = sum(exp(x));
    const [g1] = grad(f, x);
    expect(() => grad(f, x)).toThrow(/grad: the graph through '(sum|exp)' was released by an earlier backward pass; pass retainGraph: true/);
    const f2 = sum(exp(x));
    const [a] = grad(f2, x, { retainGraph: true });
    const [b] = grad(f2, x, { retainGraph: true });
    const [c] = grad(f2, x);
    expect(values(a!)).toEqual(values(g1!));
    expect(values(b!)).toEqual(values(g1!));
    expect(values(c!)).toEqual(values(g1!));
    expect(() => grad(f2, x)).toThrow('retainGraph');
    expect((nodeOf(f2) as Node).released).toBe(true);
  });

  it('a graph that is only partly released throws instead of returning a partial gradient', () => {
    const x = leaf([3]);
    const y = mul(x, x);
    expect(values(grad(y, x)[0]!)).toEqual([6]); // releases y's node
    const z = add(y, x); // a new node on top of the released one
    expect(() => grad(z, x)).toThrow(/graph through 'mul' was released.*retainGraph: true/);
    // Differentiating w.r.t. the released tensor itself needs nothing below it, so it works.
    expect(values(grad(z, y)[0]!)).toEqual([1]);
    // With retainGraph the same construction gives the full derivative 2x + 1.
    const y2 = mul(x, x);
    grad(y2, x, { retainGraph: true });
    expect(values(grad(add(y2, x), x)[0]!)).toEqual([7]);
  });

  it('createGraph gives graph tensors (and keeps the graph); otherwise the gradients are constants', () => {
    const x = leaf([0.3, -0.7]);
    const f = sum(tanh(x));
    const [plain] = grad(f, x, { retainGraph: true });
    expect(plain!.requiresGrad).toBe(false);
    expect(plain!.node).toBeNull();
    const [g] = grad(f, x, { createGraph: true });
    expect(g!.requiresGrad).toBe(true);
    expect(g!.node).not.toBeNull();
    expect(values(g!)).toEqual(values(plain!));
    // The graph was kept, and the gradient can be differentiated again.
    const [h] = grad(sum(g!), x, { retainGraph: true });
    expectClose(h!.data, values(x).map((v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)), 1e-15, 1e-14);
    const [again] = grad(f, x);
    expect(values(again!)).toEqual(values(plain!));
    // The gradient's graph shares tanh's node (its live output): once that is released, so is g's path.
    expect(() => grad(sum(g!), x)).toThrow("graph through 'tanh' was released");
  });
});

describe('grad mode, detach', () => {
  it('noGrad records nothing and restores the mode (even after a throw); enableGrad re-enables', () => {
    const x = leaf([1, 2]);
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const inner = enableGrad(() => mul(x, x));
      expect(inner.requiresGrad).toBe(true);
      return mul(x, x);
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(values(y)).toEqual([1, 4]);
    expect(isGradEnabled()).toBe(true);
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    expect(() => grad(y, x, { gradOutputs: ones([2]) })).toThrow('does not require grad');
  });

  it('detach cuts the graph: x·detach(x) has derivative detach(x), not 2x', () => {
    const x = leaf([1.5, -2]);
    const d = detach(x);
    expect(d.requiresGrad).toBe(false);
    expect(d.data).toBe(x.data); // shares storage
    const [g] = grad(sum(mul(x, d)), x);
    expect(values(g!)).toEqual([1.5, -2]);
    const y = detach(exp(x));
    expect(y.node).toBeNull();
    expect(() => grad(sum(y), x)).toThrow('does not require grad');
  });
});

describe('backward accumulates into .grad', () => {
  it('two calls add up; frozen tensors are untouched', () => {
    const w = leaf([1, 2]);
    const b = leaf(0.5);
    const c = tensor([3, 4]);
    const loss = sum(add(mul(w, c), b));
    backward(loss, undefined, { retainGraph: true });
    expect(values(w.grad!)).toEqual([3, 4]);
    expect(values(b.grad!)).toEqual([2]);
    backward(loss);
    expect(values(w.grad!)).toEqual([6, 8]);
    expect(values(b.grad!)).toEqual([4]);
    expect(c.grad).toBeNull();
    expect(w.grad!.requiresGrad).toBe(false);
    expect(() => backward(loss)).toThrow('retainGraph');
  });

  it('non-scalar outputs need gradOutput; an output on no leaf throws; createGraph gives graph grads', () => {
    const x = leaf([1, 2]);
    expect(() => backward(mul(x, 3))).toThrow('non-scalar output needs gradOutputs');
    backward(mul(x, 3), tensor([1, 10]));
    expect(values(x.grad!)).toEqual([3, 30]);
    expect(() => backward(sum(tensor([1, 2])))).toThrow('backward: the output does not depend on any tensor that requires grad');
    const z = leaf([2]);
    backward(sum(mul(z, z)), undefined, { createGraph: true });
    expect(z.grad!.requiresGrad).toBe(true);
    expect(values(grad(z.grad!, z, { gradOutputs: ones([1]) })[0]!)).toEqual([2]);
  });
});

describe('work only where needed: VJPs visited by a backward pass', () => {
  it('no VJP for a branch that depends only on a frozen tensor or on a tensor not asked for', () => {
    const log: VjpCall[] = [];
    const x = leaf([1, 2]);
    const frozen = tensor([3, 4]);
    const other = leaf([5, 6]);
    const fx = tap(x, 'x1', log);
    const ff = tap(frozen, 'frozen1', log); // not recorded at all: nothing requires grad
    expect(ff.requiresGrad).toBe(false);
    const fo = tap(tap(other, 'other1', log), 'other2', log);
    const out = sum(tapAdd(tapAdd(fx, ff, 'joinFrozen', log), fo, 'joinOther', log));
    const [g] = grad(out, x, { retainGraph: true });
    expect(values(g!)).toEqual([1, 1]);
    expect(log).toEqual([
      { op: 'joinOther', needs: [true, false] },
      { op: 'joinFrozen', needs: [true, false] },
      { op: 'x1', needs: [true] },
    ]);
    // Asking for `other` instead visits the other branch only.
    log.length = 0;
    grad(out, other, { retainGraph: true });
    expect(log.map((c) => c.op)).toEqual(['joinOther', 'other2', 'other1']);
    expect(log[0]!.needs).toEqual([false, true]);
    // Asking for both: every recorded node once.
    log.length = 0;
    grad(out, [other, x]);
    expect(log.map((c) => c.op).sort()).toEqual(['joinFrozen', 'joinOther', 'other1', 'other2', 'x1']);
    expect(log.find((c) => c.op === 'joinOther')!.needs).toEqual([true, true]);
  });

  it('nothing below an intermediate input is visited, nor a branch off the path to the outputs', () => {
    const log: VjpCall[] = [];
    const x = leaf([1, 2]);
    const a = tap(x, 'a', log);
    const h = tap(a, 'h', log);
    tap(h, 'side', log); // computed but not part of the output
    const out = sum(mul(tap(h, 'out', log), 3));
    const [gh] = grad(out, h, { retainGraph: true });
    expect(values(gh!)).toEqual([3, 3]);
    expect(log.map((c) => c.op)).toEqual(['out']);
    log.length = 0;
    const [ga, gx] = grad(out, [a, x]);
    expect(values(ga!)).toEqual([3, 3]);
    expect(values(gx!)).toEqual([3, 3]);
    expect(log.map((c) => c.op)).toEqual(['out', 'h', 'a']);
  });

  it('a tensor with several consumers has its VJP called once, with the summed gradient', () => {
    const log: VjpCall[] = [];
    const x = leaf([1, 2]);
    const a = tap(x, 'a', log);
    const out = sum(tapAdd(tapAdd(a, a, 'j1', log), a, 'j2', log));
    const [g] = grad(out, x);
    expect(values(g!)).toEqual([3, 3]);
    expect(log.filter((c) => c.op === 'a').length).toBe(1);
    expect(log.length).toBe(3);
  });

  it('with createGraph the VJPs record their own (logged) ops, visited again by the next order', () => {
    const log: VjpCall[] = [];
    const x = leaf([1, 2]);
    const w = leaf([3, 4]);
    const out = sum(mul(tap(mul(x, x), 'sq', log), tap(w, 'w', log)));
    const [gx] = grad(out, x, { createGraph: true });
    expect(log.map((c) => c.op)).toEqual(['sq']);
    expect(values(gx!)).toEqual([6, 16]);
    log.length = 0;
    // d/dw of ⟨1, gx⟩ = 2x: visits the tap' the first pass recorded and the forward tap of w,
    // but not the tap of x·x (gx depends on x directly, not through that tap's output).
    const [gw] = grad(sum(gx!), w);
    expect(values(gw!)).toEqual([2, 4]);
    expect(log.map((c) => c.op)).toEqual(["sq'", 'w']);
  });

  it('the needs flags follow requested inputs through mixed paths (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), (ask) => {
        fc.pre(ask.some((b) => b));
        const log: VjpCall[] = [];
        const xs = [leaf([1]), leaf([2]), leaf([3])];
        const t = xs.map((x, i) => tap(x, `t${i}`, log));
        const j01 = tapAdd(t[0]!, t[1]!, 'j01', log);
        const out = sum(tapAdd(j01, t[2]!, 'j012', log));
        grad(out, xs.filter((_, i) => ask[i]));
        const find = (op: string): VjpCall | undefined => log.find((c) => c.op === op);
        expect(find('j012')!.needs).toEqual([ask[0]! || ask[1]!, ask[2]!]);
        if (ask[0] || ask[1]) expect(find('j01')!.needs).toEqual([ask[0]!, ask[1]!]);
        else expect(find('j01')).toBeUndefined();
        for (let i = 0; i < 3; i++) expect(find(`t${i}`) !== undefined).toBe(ask[i]!);
        expect(log.every((c) => c.needs.some((n) => n))).toBe(true);
      }),
      runs(20),
    );
  });
});

describe('record', () => {
  it('attaches a node only when grad mode is on and an input requires grad', () => {
    const x = leaf([1]);
    const c = tensor([2]);
    const y = sub(x, c);
    expect(nodeOf(y)).toBeInstanceOf(Node);
    expect(nodeOf(y)!.op).toBe('sub');
    expect(nodeOf(y)!.inputs[0]).toBe(x);
    expect(sub(c, c).node).toBeNull();
    expect(noGrad(() => sub(x, c)).node).toBeNull();
    expect(zeros([1]).requiresGrad).toBe(false);
  });
});

describe('dependsOn: whether a graph reaches a tensor', () => {
  it('sees a path through any op, and none through a ReLU mask or a constant weight', () => {
    const x = requiresGrad(tensor([0.5, -1.2, 2]));
    const w = requiresGrad(tensor([3, -1, 0.25]));
    // g = ∂Σ relu(x)·w / ∂x = w·[x > 0]: depends on w (a weight that requires grad), not on x.
    const [g] = grad(sum(mul(relu(x), w)), x, { createGraph: true });
    expect(dependsOn(g!, w)).toBe(true);
    expect(dependsOn(g!, x)).toBe(false);
    // Through tanh the gradient is a function of x.
    const [h] = grad(sum(tanh(x)), x, { createGraph: true });
    expect(dependsOn(h!, x)).toBe(true);
    expect(dependsOn(h!, w)).toBe(false);
    // A constant (no graph) reaches nothing; a tensor reaches itself.
    expect(dependsOn(tensor([1]), x)).toBe(false);
    expect(dependsOn(x, x)).toBe(true);
    // And the answer matches autodiff: a graph that does not reach x has a zero derivative there.
    expect(Array.from(grad(sum(g!), [x, w], { onUnused: 'zeros' })[0]!.data)).toEqual([0, 0, 0]);
  });

  it('names a graph released by an earlier backward pass', () => {
    const x = requiresGrad(tensor([0.5, 2]));
    const y = sum(tanh(mul(x, x)));
    grad(y, x);
    expect(() => dependsOn(y, x)).toThrow(/was released by an earlier backward pass/);
  });
});
