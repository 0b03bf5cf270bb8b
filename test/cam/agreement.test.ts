import { describe, expect, it } from 'vitest';
import { sameMaps, type ExplainedMap } from '../../src/cam/agreement.js';
import { computationKey } from '../../src/cam/computation.js';
import { headForm } from '../../src/cam/head.js';
import { explain, type ExplainOptions } from '../../src/cam/methods.js';
import { Conv2d, Linear, ReLU, Sequential, Tanh, GlobalAvgPool } from '../../src/nn/layers.js';
import { Rng } from '../../src/tensor/rng.js';
import { gapLinear, onHead, piecewiseLinearHead, positive, smallCnn, tanhHead } from './helpers.js';

const LAYER = 'features.0';

function runAll(model: Sequential, x: ReturnType<typeof positive>, methods: readonly string[], opts: ExplainOptions = {}): ExplainedMap[] {
  return methods.map((name) => ({ name, result: explain(name, model, x, { layer: LAYER, samples: 3, ...opts }) }));
}

describe('the form of the head after a layer', () => {
  it('tells global pooling + linear, affine, piecewise-linear and smooth heads apart', () => {
    const rng = new Rng(1);
    expect(headForm(gapLinear(3, 2, 1), LAYER)).toEqual({ form: 'gap-linear', layers: 'GlobalAvgPool → Linear(3, 2)' });
    expect(headForm(onHead(new Sequential(new Conv2d(3, 2, 1, { rng }), new GlobalAvgPool(), new Linear(2, 2, { rng }))), LAYER).form).toBe('affine');
    expect(headForm(piecewiseLinearHead(3, 2, 1), LAYER).form).toBe('piecewise-linear');
    expect(headForm(tanhHead(3, 2, 1), LAYER).form).toBe('smooth');
    expect(headForm(onHead(new Sequential(new ReLU(), new Tanh())), LAYER).form).toBe('smooth');
    expect(headForm(smallCnn(1), 'features.5').form).toBe('gap-linear'); // AdaptiveAvgPool2d(1) → Flatten → Linear
    expect(headForm(smallCnn(1), 'features.2').form).toBe('piecewise-linear');
  });
});

describe('methods that give the same map, and why', () => {
  it('on a GAP-linear head: Grad-CAM++ = exact = Smooth Grad-CAM++ and CAM (with ReLU) = Grad-CAM = XGrad-CAM, each group with its reasons', () => {
    const model = gapLinear(3, 2, 4);
    const x = positive([1, 3, 4, 5], 2);
    const found = sameMaps(model, LAYER, runAll(model, x, ['cam', 'gradcam', 'gradcam++', 'gradcam++-exact', 'xgradcam', 'hirescam', 'smooth-gradcam++'], { relu: true }));
    expect(found.map((s) => s.methods)).toEqual([['cam', 'gradcam', 'xgradcam', 'hirescam'], ['gradcam++', 'gradcam++-exact', 'smooth-gradcam++']]);
    expect(found.every((s) => s.structural)).toBe(true);
    expect(found[1]!.reason).toBe('gradcam++, gradcam++-exact and smooth-gradcam++ give the same map: after features.0 comes GlobalAvgPool → Linear(3, 2); ' +
      'the head is piecewise linear, so ∂²S/∂A² = 0 and the exact derivatives of Y = exp(S − S₀) are Y·g², Y·g³: the closed form is exact; ' +
      'S is affine in A, so g does not depend on the input and the noisy samples average to g, g², g³');
    expect(found[0]!.reason).toContain("XGrad-CAM's Σ g·A / ΣA_k is Grad-CAM's mean g");
    expect(found[0]!.reason).toContain("HiResCAM's Σ_k g_k ⊙ A_k is Grad-CAM's Σ_k mean(g_k)·A_k");
  });

  it('on a piecewise-linear head only the exact pair agrees; on a smooth head nothing does, so nothing is said', () => {
    const x = positive([1, 3, 6, 8], 3);
    const pl = piecewiseLinearHead(3, 2, 7);
    const found = sameMaps(pl, LAYER, runAll(pl, x, ['gradcam', 'gradcam++', 'gradcam++-exact', 'smooth-gradcam++']));
    expect(found.map((s) => s.methods)).toEqual([['gradcam++', 'gradcam++-exact']]);
    expect(found[0]!.reason).toContain('the closed form is exact');
    const smooth = tanhHead(3, 2, 7);
    expect(sameMaps(smooth, LAYER, runAll(smooth, x, ['gradcam++', 'gradcam++-exact', 'smooth-gradcam++']))).toEqual([]);
  });

  it('exact derivatives of another Y than exp(S − S₀) are not matched to the closed form by a rule', () => {
    const model = gapLinear(2, 2, 5);
    const x = positive([1, 2, 3, 3], 4);
    const closed = { name: 'gradcam++', result: explain('gradcam++', model, x, { layer: LAYER }) };
    // The same result under the claim "exact with Y = softmax": equal maps, but no rule explains them.
    const found = sameMaps(model, LAYER, [closed, { name: 'gradcam++-exact', result: { ...closed.result, method: 'gradcam++ (exact)' }, exactOutput: 'softmax' }]);
    expect(found).toEqual([{ methods: ['gradcam++', 'gradcam++-exact'], structural: false, reason: 'gradcam++ and gradcam++-exact give the same map for this input (no property of the model camlab knows makes them equal)' }]);
  });
});

describe('which runs are the same computation', () => {
  it('gradcam++-exact is gradcam++ with exact derivatives: the same key with exact mode on, different keys without', () => {
    expect(computationKey('gradcam++-exact', {})).toBe(computationKey('gradcam++', { exact: {} }));
    expect(computationKey('gradcam++-exact', { exact: { output: 'softmax' }, samples: 4 })).toBe(computationKey('gradcam++', { exact: { output: 'softmax' } }));
    expect(computationKey('gradcam++-exact', {})).not.toBe(computationKey('gradcam++', {}));
    expect(computationKey('gradcam++', { preset: 'torchcam' })).not.toBe(computationKey('gradcam++', {}));
    expect(computationKey('gradcam', { samples: 3 })).toBe(computationKey('gradcam', {})); // options a method does not take do not count
  });
});
