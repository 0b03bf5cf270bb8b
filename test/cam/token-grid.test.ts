/**
 * CAMs on a transformer's token layers: the `:grid` views of a spec ViT (class token dropped,
 * patches on the grid, built in), the default CAM layer (a block's ln_1, never an attention tap),
 * Grad-CAM at a token grid against a reference computed from the tokens, and every CAM method
 * at any encoder block.
 */
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { gradCam } from '../../src/cam/gradcam.js';
import { explain, type ExplainOptions } from '../../src/cam/methods.js';
import { cutLayer, defaultLayer, probeLayers, splitAt } from '../../src/cam/split.js';
import { targetsFor, totalScore } from '../../src/cam/target.js';
import { buildModule } from '../../src/nn/layer-kinds.js';
import { GRID_SUFFIX, TokenGrid } from '../../src/nn/token-grid.js';
import { tokensToGrid } from '../../src/nn/tokens.js';
import { VisionTransformer } from '../../src/nn/vit.js';
import { clone, randn } from '../../src/tensor/create.js';
import { mean, sum } from '../../src/tensor/reduce.js';
import { mul } from '../../src/tensor/elementwise.js';
import { relu } from '../../src/tensor/unary.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { errorOf, expectClose } from '../support/check.js';
import { randomVit } from '../support/vit.js';

const BLOCK = (i: number): string => `encoder.layers.encoder_layer_${i}`;

/** A random 3-block ViT on 8x8 images with a 2x2 patch grid, every weight non-zero. */
const vit = (): VisionTransformer => randomVit(5, { numLayers: 3 });
const x = randn([2, 3, 8, 8], { rng: 6 });

/** The tokens a layer outputs for x, as a leaf that replaces them, and the score S = Σ_n target_n as a function of it. */
function tokensAndScore(model: VisionTransformer, layer: string, input: Tensor): { tokens: Tensor; g: Tensor } {
  let leaf: Tensor | null = null;
  const h = model.get(layer).registerForwardHook((out) => (leaf = requiresGrad(clone(out))));
  try {
    const out = model.call(input);
    const s = totalScore(out, targetsFor('predicted', out));
    return { tokens: leaf!, g: grad(s, leaf!)[0]! };
  } finally {
    h.remove();
  }
}

describe('token-grid views of a ViT', () => {
  it('every block\'s ln_1 and every block output but the last have a :grid view, listed after their layer', () => {
    const m = vit();
    const names = m.namedModules().map(([n]) => n);
    const views = names.filter((n) => n.endsWith(GRID_SUFFIX));
    expect(views).toEqual([`${BLOCK(0)}:grid`, `${BLOCK(0)}.ln_1:grid`, `${BLOCK(1)}:grid`, `${BLOCK(1)}.ln_1:grid`, `${BLOCK(2)}.ln_1:grid`]);
    for (const v of views) expect(names.indexOf(v)).toBe(names.indexOf(v.slice(0, -GRID_SUFFIX.length)) + 1);
    const view = m.get(`${BLOCK(2)}.ln_1:grid`) as TokenGrid;
    expect([view.kind, view.prefix, view.grid, view.source]).toEqual(['TokenGrid', 1, [2, 2], m.get(`${BLOCK(2)}.ln_1`)]);
    // Views hold no tensors: the state dict is torchvision's.
    expect([...m.stateDict().keys()].some((k) => k.includes('grid'))).toBe(false);
  });

  it('a view shows its layer\'s tokens on the grid, and only runs while hooked', () => {
    const m = vit();
    const grids: Tensor[] = [];
    const view = m.get(`${BLOCK(1)}:grid`);
    let tokens: Tensor | null = null;
    const h1 = m.get(BLOCK(1)).registerForwardHook((out) => void (tokens = out));
    const h2 = view.registerForwardHook((map) => void grids.push(map));
    m.call(x);
    h2.remove();
    m.call(x);
    h1.remove();
    expect(grids).toHaveLength(1);
    expect(grids[0]!.shape).toEqual([2, 4, 2, 2]);
    expectClose(grids[0]!.data, tokensToGrid(tokens!, [2, 2]).data, 0, 0);
  });

  it('the default CAM layer is the last block\'s ln_1 grid; attention taps are 4-D but not feature maps', () => {
    const m = vit();
    expect(defaultLayer(m, x)).toBe(`${BLOCK(2)}.ln_1:grid`);
    const layers = probeLayers(m, x);
    const attn = layers.filter((l) => l.type === 'AttentionProbabilities');
    expect(attn.map((l) => [l.shape, l.camLayer])).toEqual([0, 1, 2].map(() => [[2, 2, 5, 5], false]));
    expect(layers.filter((l) => l.camLayer).map((l) => l.name)).toEqual(['conv_proj', `${BLOCK(0)}.ln_1:grid`, `${BLOCK(0)}:grid`, `${BLOCK(1)}.ln_1:grid`, `${BLOCK(1)}:grid`, `${BLOCK(2)}.ln_1:grid`]);
  });

  it('a token layer named without :grid is cut at its view; its head reproduces the output', () => {
    const m = vit();
    expect(cutLayer(m, BLOCK(0))).toBe(`${BLOCK(0)}:grid`);
    expect(cutLayer(m, `${BLOCK(0)}:grid`)).toBe(`${BLOCK(0)}:grid`);
    expect(cutLayer(m, BLOCK(2))).toBe(BLOCK(2));
    const s = splitAt(m, x, BLOCK(0));
    expect(s.layer).toBe(BLOCK(0));
    expect(s.activation.shape).toEqual([2, 4, 2, 2]);
    expectClose(s.head(s.activation).data, s.output.data, 1e-14, 1e-12);
  });

  it('Grad-CAM at a token grid = the reference from the tokens: w = mean over patches of ∂S/∂token, class token dropped', () => {
    const m = vit();
    for (const layer of [`${BLOCK(1)}.ln_1`, BLOCK(0)]) {
      const { tokens, g } = tokensAndScore(m, layer, x);
      const a = tokensToGrid(tokens, [2, 2]);
      const w = mean(tokensToGrid(g, [2, 2]), [2, 3], { keepdims: true });
      const reference = relu(sum(mul(a, w), 1));
      const r = gradCam(m, x, { layer });
      expect(r.layer).toBe(layer);
      expectClose(gradCam(m, x, { layer: `${layer}:grid` }).map.data, r.map.data, 0, 0);
      expectClose(r.map.data, reference.data, 1e-13, 1e-10);
    }
  });

  it.each(['gradcam', 'gradcam++', 'gradcam++-exact', 'smooth-gradcam++', 'xgradcam', 'layercam', 'scorecam'])('%s runs at every encoder block (the default layer, a block output, an ln_1)', (method) => {
    const m = vit();
    const opts: ExplainOptions = { samples: 2, target: [0, 2] };
    for (const layer of [undefined, BLOCK(1), `${BLOCK(0)}.ln_1`]) {
      const r = explain(method, m, x, layer === undefined ? opts : { ...opts, layer });
      expect('layer' in r && r.layer).toBe(layer ?? `${BLOCK(2)}.ln_1:grid`);
      expect(r.map.shape).toEqual([2, 2, 2]);
      expect(r.upsampled.shape).toEqual([2, 8, 8]);
      expect(r.classes).toEqual([0, 2]);
    }
  });

  it('exact Grad-CAM++ at a token grid: d1 is the Grad-CAM gradient', () => {
    const m = vit();
    const e = explain('gradcam++-exact', m, x, { trace: true, exact: { output: 'raw' } });
    const g = gradCam(m, x, { trace: true });
    expect('trace' in e && e.trace !== undefined).toBe(true);
    if ('trace' in e) expectClose(e.trace!.d1.data, g.trace!.d1.data, 1e-14, 1e-11);
  });

  it('one-line errors: the last block\'s output (its patches never reach the score), an attention tap', () => {
    const m = vit();
    expect(errorOf(() => gradCam(m, x, { layer: BLOCK(2) }))).toBe(
      `cam: layer '${BLOCK(2)}' outputs [2,5,4]; CAM needs a 4-D [N,C,H,W] feature map (a token layer without a :grid view: after the last attention only the class token reaches the score); ` +
        `token layers with a map: ${BLOCK(0)}:grid, ${BLOCK(0)}.ln_1:grid, ${BLOCK(1)}:grid, ${BLOCK(1)}.ln_1:grid, ${BLOCK(2)}.ln_1:grid`,
    );
    expect(errorOf(() => gradCam(m, x, { layer: `${BLOCK(1)}.self_attention.attn` }))).toMatch(
      /^cam: layer 'encoder\.layers\.encoder_layer_1\.self_attention\.attn' outputs \[2,2,5,5\], not a feature map \(AttentionProbabilities\); .* or a rollout method for attention$/,
    );
    // The attention's dropout passes the probabilities on unchanged: refused as well.
    expect(errorOf(() => gradCam(m, x, { layer: `${BLOCK(1)}.self_attention.dropout` }))).toBe(
      `cam: layer '${BLOCK(1)}.self_attention.dropout' outputs the tensor of AttentionProbabilities '${BLOCK(1)}.self_attention.attn', not a feature map; ` +
        'choose a feature map or token grid layer (camlab info lists them), or a rollout method for attention',
    );
  });

  it('a spec\'s VisionTransformer entry builds the same ViT (keys, views, outputs)', () => {
    const spec = { type: 'VisionTransformer', imageSize: 8, patchSize: 4, numLayers: 3, numHeads: 2, hiddenDim: 4, mlpDim: 6, numClasses: 3 } as const;
    const built = buildModule(spec);
    const m = vit();
    expect(built).toBeInstanceOf(VisionTransformer);
    expect([...built.stateDict().keys()]).toEqual([...m.stateDict().keys()]);
    built.loadStateDict(m.stateDict());
    built.eval();
    expect(built.namedModules().map(([n]) => n)).toEqual(m.namedModules().map(([n]) => n));
    expectClose(built.call(x).data, m.call(x).data, 0, 0);
  });
});
