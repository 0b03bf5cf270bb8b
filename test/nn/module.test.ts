import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autodiff/mode.js';
import {
  BasicBlock, BatchNorm2d, Conv2d, Dropout, Flatten, GlobalAvgPool, Linear, MaxPool2d, ReLU, Sequential,
} from '../../src/nn/layers.js';
import { Module } from '../../src/nn/module.js';
import { concat, slice } from '../../src/tensor/movement.js';
import { randn, tensor, zeros } from '../../src/tensor/create.js';
import { CamlabError } from '../../src/tensor/errors.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, runs } from '../support/check.js';

/** features (conv-bn-relu-pool-conv-relu) → pool → classifier, as camlab's bundled models. */
function smallNet(seed = 1): Sequential {
  const rng = new Rng(seed);
  const net = Sequential.named([
    ['features', new Sequential(
      new Conv2d(3, 4, 3, { padding: 1, rng }),
      new BatchNorm2d(4),
      new ReLU(),
      new MaxPool2d({ kernelSize: 2 }),
      new Conv2d(4, 5, 3, { padding: 1, rng }),
      new ReLU(),
    )],
    ['pool', new GlobalAvgPool()],
    ['classifier', new Linear(5, 3, { rng })],
  ]);
  // Non-trivial running statistics so eval-mode batch norm does something.
  const bn = net.get('features.1') as BatchNorm2d;
  const sd = bn.stateDict();
  sd.get('running_mean')!.data.set([0.1, -0.2, 0.3, 0]);
  sd.get('running_var')!.data.set([0.5, 2, 1.5, 1]);
  return net.eval();
}

/** A parameter-free module that records how it was called. */
class Probe extends Module {
  readonly kind = 'Probe';
  calls = 0;
  forward(x: Tensor): Tensor {
    this.calls++;
    return x;
  }
}

describe('state-dict names', () => {
  it('parameters and buffers carry dotted PyTorch names, in state_dict order', () => {
    const net = smallNet();
    expect([...net.stateDict().keys()]).toEqual([
      'features.0.weight', 'features.0.bias',
      'features.1.weight', 'features.1.bias', 'features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked',
      'features.4.weight', 'features.4.bias',
      'classifier.weight', 'classifier.bias',
    ]);
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'features.0.weight', 'features.0.bias', 'features.1.weight', 'features.1.bias', 'features.4.weight', 'features.4.bias',
      'classifier.weight', 'classifier.bias',
    ]);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked']);
    // num_batches_tracked is a 0-d tensor, as torch.tensor(0).
    expect(net.stateDict().get('features.1.num_batches_tracked')!.shape).toEqual([]);
  });

  it('nested residual blocks: layer1.0.downsample.1.running_mean', () => {
    const net = Sequential.named([['layer1', new Sequential(new BasicBlock(2, 4, { stride: 2 }), new BasicBlock(4, 4))]]);
    const keys = [...net.stateDict().keys()];
    expect(keys).toContain('layer1.0.downsample.0.weight');
    expect(keys).toContain('layer1.0.downsample.1.running_mean');
    expect(keys).toContain('layer1.0.downsample.1.num_batches_tracked');
    expect(keys.filter((k) => k.startsWith('layer1.1.downsample'))).toEqual([]);
    expect(net.namedModules().map(([n]) => n)).toContain('layer1.0.downsample.1');
  });

  it('parameters require grad, buffers do not; parameterCount sums the trainable sizes', () => {
    const net = smallNet();
    for (const p of net.parameters()) expect(p.requiresGrad).toBe(true);
    for (const [, b] of net.namedBuffers()) expect(b.requiresGrad).toBe(false);
    // conv 3→4 (108 + 4), bn (4 + 4), conv 4→5 (180 + 5), linear 5→3 (15 + 3)
    expect(net.parameterCount()).toBe(108 + 4 + 8 + 180 + 5 + 15 + 3);
    expect(new ReLU().parameterCount()).toBe(0);
  });

  it('names with dots or empty names are rejected', () => {
    expect(() => new Sequential().append('a.b', new ReLU())).toThrow(/invalid tensor or module name 'a\.b'/);
    expect(() => new Sequential().append('', new ReLU())).toThrow(CamlabError);
  });
});

describe('train / eval', () => {
  it('propagate to every descendant', () => {
    const net = Sequential.named([['body', new Sequential(new BasicBlock(2, 2), new Dropout(0.5))]]);
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
    net.train(false);
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    // Returns this (chainable).
    expect(net.train()).toBe(net);
  });
});

describe('get', () => {
  it('finds submodules by dotted path', () => {
    const net = smallNet();
    expect(net.get('')).toBe(net);
    expect(net.get('features.4')).toBeInstanceOf(Conv2d);
    expect(net.get('classifier')).toBeInstanceOf(Linear);
  });

  it('an unknown path lists every layer name', () => {
    const net = smallNet();
    let msg = '';
    try {
      net.get('features.9');
    } catch (e) {
      expect(e).toBeInstanceOf(CamlabError);
      msg = (e as Error).message;
    }
    expect(msg).toContain("no layer named 'features.9'");
    expect(msg).toContain('layers are: features, features.0, features.1, features.2, features.3, features.4, features.5, pool, classifier');
  });
});

describe('forward hooks', () => {
  it('see output, input and module, and run in registration order after forward', () => {
    const net = smallNet();
    const x = randn([2, 3, 6, 6], { rng: 3 });
    const seen: string[] = [];
    let captured: Tensor | null = null;
    let capturedIn: Tensor | null = null;
    const relu = net.get('features.5');
    relu.registerForwardHook((out, input, m) => {
      expect(m).toBe(relu);
      captured = out;
      capturedIn = input;
      seen.push('a');
    });
    relu.registerForwardHook(() => {
      seen.push('b');
    });
    const y = net.call(x);
    expect(seen).toEqual(['a', 'b']);
    expect(captured!.shape).toEqual([2, 5, 3, 3]);
    expect(Array.from(captured!.data)).toEqual(Array.from(capturedIn!.data).map((v) => Math.max(v, 0)));
    // Reading hooks do not change the result.
    const plain = smallNet().call(x);
    expect(Array.from(y.data)).toEqual(Array.from(plain.data));
  });

  it('a hook that returns a tensor replaces the output for the rest of the network', () => {
    const net = smallNet();
    const x = randn([1, 3, 6, 6], { rng: 4 });
    const h = net.get('features.5').registerForwardHook((out) => zeros(out.shape));
    const y = net.call(x);
    // GlobalAvgPool of zeros = 0, so the logits are the classifier bias.
    expect(Array.from(y.data)).toEqual(Array.from((net.get('classifier') as Linear).bias!.data));
    h.remove();
    const y2 = net.call(x);
    expect(Array.from(y2.data)).not.toEqual(Array.from(y.data));
    // The replaced activation feeds the next layer: a later hook sees the substitute.
    const later: Tensor[] = [];
    const h1 = net.get('features.5').registerForwardHook((out) => zeros(out.shape));
    const h2 = net.get('features.5').registerForwardHook((out) => {
      later.push(out);
    });
    net.call(x);
    expect(Array.from(later[0]!.data).every((v) => v === 0)).toBe(true);
    h1.remove();
    h2.remove();
  });

  it('a replaced activation with a larger batch broadcasts through the rest of the network', () => {
    const net = smallNet(5);
    const x = randn([1, 3, 8, 8], { rng: 6 });
    const variants = randn([3, 5, 4, 4], { rng: 7 }); // three substitutes for features.5's [1,5,4,4]
    const h = net.get('features.5').registerForwardHook(() => variants);
    const y = noGrad(() => net.call(x));
    h.remove();
    expect(y.shape).toEqual([3, 3]);
    // Each row equals "the rest of the network" (pool + classifier) applied to that row alone.
    const rest = (a: Tensor): Tensor => net.get('classifier').call(net.get('pool').call(a));
    for (let b = 0; b < 3; b++) {
      const row = rest(slice(variants, [[b, b + 1], null, null, null]));
      expectClose(y.data.subarray(3 * b, 3 * b + 3), row.data, 1e-14, 1e-14);
    }
  });

  it('a larger batch injected mid-network flows through later conv/bn/pool layers too', () => {
    const net = smallNet(8);
    const x = randn([1, 3, 8, 8], { rng: 9 });
    const sub = randn([3, 4, 8, 8], { rng: 10 }); // replaces features.1 (batch norm) output [1,4,8,8]
    const h = net.get('features.1').registerForwardHook(() => sub);
    const y = net.call(x);
    h.remove();
    expect(y.shape).toEqual([3, 3]);
    // Reference: run layers 2.. on each row separately.
    const feats = net.get('features') as Sequential;
    const tail = (a: Tensor): Tensor => {
      let t = a;
      for (const [n, m] of feats.namedChildren()) if (Number(n) >= 2) t = m.call(t);
      return net.get('classifier').call(net.get('pool').call(t));
    };
    for (let b = 0; b < 3; b++) {
      expectClose(y.data.subarray(3 * b, 3 * b + 3), tail(slice(sub, [[b, b + 1], null, null, null])).data, 1e-13, 1e-13);
    }
  });

  it('removal is idempotent and only removes that hook', () => {
    const p = new Probe();
    const log: number[] = [];
    const h1 = p.registerForwardHook(() => void log.push(1));
    p.registerForwardHook(() => void log.push(2));
    h1.remove();
    h1.remove();
    p.call(zeros([1]));
    expect(log).toEqual([2]);
    expect(p.calls).toBe(1);
  });

  it('a hook that removes itself while running does not make the next hook skip (one-shot hooks)', () => {
    const p = new Probe();
    const log: string[] = [];
    const once = p.registerForwardHook(() => {
      log.push('once');
      once.remove();
    });
    p.registerForwardHook(() => void log.push('always'));
    p.call(zeros([1]));
    p.call(zeros([1]));
    expect(log).toEqual(['once', 'always', 'always']);
  });

  it('a hook registered during a call runs from the next call on', () => {
    const p = new Probe();
    const log: string[] = [];
    p.registerForwardHook(() => {
      log.push('outer');
      if (log.length === 1) p.registerForwardHook(() => void log.push('inner'));
    });
    p.call(zeros([1]));
    expect(log).toEqual(['outer']);
    p.call(zeros([1]));
    expect(log).toEqual(['outer', 'outer', 'inner']);
  });

  it('the same function registered twice: each handle removes its own registration only', () => {
    const p = new Probe();
    let n = 0;
    const f = (): void => void n++;
    const h1 = p.registerForwardHook(f);
    p.registerForwardHook(f);
    p.call(zeros([1]));
    expect(n).toBe(2);
    h1.remove();
    h1.remove();
    p.call(zeros([1]));
    expect(n).toBe(3);
  });

  it('forward() bypasses hooks, call() runs them', () => {
    const p = new Probe();
    let n = 0;
    p.registerForwardHook(() => void n++);
    p.forward(zeros([1]));
    expect(n).toBe(0);
    p.call(zeros([1]));
    expect(n).toBe(1);
  });
});

describe('loadStateDict', () => {
  it('copies values into the existing storage (optimizer references stay valid)', () => {
    const a = smallNet(1);
    const b = smallNet(2);
    const before = a.stateDict();
    const storages = [...before.values()].map((t) => t.data);
    a.loadStateDict(b.stateDict());
    const after = a.stateDict();
    [...after.values()].forEach((t, i) => expect(t.data).toBe(storages[i]));
    for (const [k, t] of b.stateDict()) expect(Array.from(after.get(k)!.data)).toEqual(Array.from(t.data));
    // Copies, not aliases: changing b later leaves a alone.
    b.stateDict().get('classifier.bias')!.data[0] = 123;
    expect(a.stateDict().get('classifier.bias')!.data[0]).not.toBe(123);
  });

  it('reports missing, unexpected and mis-shaped keys all in one error', () => {
    const net = smallNet();
    const dict = new Map(net.stateDict());
    dict.delete('features.0.bias');
    dict.delete('features.1.running_var');
    dict.set('features.9.weight', zeros([2]));
    dict.set('classifier.weight', zeros([3, 6]));
    dict.set('features.4.bias', zeros([6]));
    let msg = '';
    try {
      net.loadStateDict(dict);
    } catch (e) {
      expect(e).toBeInstanceOf(CamlabError);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^loadStateDict: /);
    expect(msg).toContain('missing keys: features.0.bias, features.1.running_var');
    expect(msg).toContain('unexpected keys: features.9.weight');
    expect(msg).toContain('classifier.weight: checkpoint [3,6] vs model [3,5]');
    expect(msg).toContain('features.4.bias: checkpoint [6] vs model [5]');
  });

  it('a failed load changes nothing', () => {
    const net = smallNet();
    const snapshot = [...net.stateDict().values()].map((t) => Array.from(t.data));
    const dict = new Map([...smallNet(9).stateDict()].map(([k, t]) => [k, t] as const));
    dict.set('classifier.bias', zeros([4]));
    expect(() => net.loadStateDict(dict)).toThrow(/shape mismatches/);
    [...net.stateDict().values()].forEach((t, i) => expect(Array.from(t.data)).toEqual(snapshot[i]));
  });

  it('strict: false allows missing and unexpected keys but not mis-shaped ones', () => {
    const net = smallNet();
    const oldW = Array.from(net.stateDict().get('features.0.weight')!.data);
    const dict = new Map<string, Tensor>([['classifier.bias', tensor([1, 2, 3])], ['extra.thing', zeros([1])]]);
    net.loadStateDict(dict, { strict: false });
    expect(Array.from(net.stateDict().get('classifier.bias')!.data)).toEqual([1, 2, 3]);
    expect(Array.from(net.stateDict().get('features.0.weight')!.data)).toEqual(oldW);
    expect(() => net.loadStateDict(new Map([['classifier.bias', zeros([2])]]), { strict: false })).toThrow(/classifier\.bias: checkpoint \[2\] vs model \[3\]/);
  });

  it('casts values to the parameter dtype', () => {
    const lin = new Linear(2, 1, { dtype: 'float32', rng: new Rng(1) });
    lin.loadStateDict(new Map([['weight', tensor([[0.1, 0.2]])], ['bias', tensor([0.3])]]));
    expect(lin.weight.dtype).toBe('float32');
    expect(Array.from(lin.weight.data)).toEqual([Math.fround(0.1), Math.fround(0.2)]);
  });

  it('property: stateDict → loadStateDict into a fresh net reproduces its outputs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }), (s1, s2) => {
        const a = smallNet(s1);
        const b = smallNet(s2 + 1001);
        b.loadStateDict(a.stateDict());
        const x = randn([1, 3, 4, 4], { rng: s1 + s2 });
        expect(Array.from(b.call(x).data)).toEqual(Array.from(a.call(x).data));
      }),
      runs(15),
    );
  });
});

describe('Sequential', () => {
  it('numbers children 0, 1, … and Sequential.named uses the given names', () => {
    const s = new Sequential(new ReLU(), new Flatten());
    expect(s.namedChildren().map(([n]) => n)).toEqual(['0', '1']);
    expect(s.length).toBe(2);
    const n = Sequential.named([['a', new ReLU()], ['b', new Flatten()]]);
    expect(n.namedChildren().map(([k]) => k)).toEqual(['a', 'b']);
    expect(n.call(tensor([[[-1, 2]]])).toArray()).toEqual([[0, 2]]);
  });

  it('an empty Sequential is the identity', () => {
    const x = tensor([1, 2]);
    expect(new Sequential().call(x)).toBe(x);
  });

  it('concat of rows through a net equals running each row (batch independence in eval)', () => {
    const net = smallNet(3);
    const a = randn([1, 3, 4, 4], { rng: 1 });
    const b = randn([1, 3, 4, 4], { rng: 2 });
    const y = net.call(concat([a, b], 0));
    expectClose(y.data, [...net.call(a).data, ...net.call(b).data], 1e-14, 1e-14);
  });
});
