/**
 * Capturing a transformer's attention probabilities and their derivatives through the
 * `AttentionProbabilities` taps (`….self_attention.attn`) of its MultiheadAttention modules.
 */
import { grad } from '../../autodiff/grad.js';
import { isGradEnabled, noGrad } from '../../autodiff/mode.js';
import { detach, requiresGrad } from '../../autodiff/node.js';
import { concat, slice } from '../../autodiff/ops/movement.js';
import { AttentionView } from '../../nn/attention-view.js';
import { hookedBatchLimit } from '../noise-batches.js';
import { isGraphModel } from '../../nn/graph-model.js';
import { AttentionProbabilities } from '../../nn/attention.js';
import type { Module } from '../../nn/module.js';
import { VisionTransformer } from '../../nn/vit.js';
import { fail, shapeStr } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { exactDerivatives, type CamContext, type ExactOptions } from '../gradients.js';
import { splitAt, withEval } from '../split.js';
import { targetsFor, totalScore, type ResolvedTarget, type Target } from '../target.js';

/** Names of the model's attention taps (state-dict names; an imported graph's `:attn` views), in forward (block) order. */
export function attentionLayers(model: Module): string[] {
  const names = isGraphModel(model) && model.attentionLayers !== undefined
    ? model.attentionLayers()
    : model.namedModules().filter(([, m]) => m instanceof AttentionProbabilities).map(([n]) => n);
  if (names.length === 0) fail('rollout', `the model (${model.describe()}) has no attention layers; rollout needs a transformer with MultiheadAttention blocks`);
  return names;
}

/**
 * Runs fn with a forward hook on each tap that records the probabilities it sees: once per tap, or
 * once per chunk when an imported graph runs a fixed batch at a time (the chunks' batches then add
 * up to the input's).
 */
function withCapture<T>(model: Module, layers: readonly string[], batch: number, fn: () => T): { attentions: Tensor[][]; result: T } {
  const chunked = isGraphModel(model) && (model.batchFixed ?? null) !== null;
  const seen = layers.map((): Tensor[] => []);
  const handles = layers.map((name, l) => model.get(name).registerForwardHook((p) => {
    if (seen[l]!.length > 0 && !chunked) fail('rollout', `attention layer '${name}' runs more than once per forward pass (a shared module)`);
    // With grad on, probabilities that no parameter reaches (an imported graph's weights are
    // constants) become a leaf with the same values, so the score is a function of them.
    const a = isGradEnabled() && !p.requiresGrad ? requiresGrad(detach(p)) : p;
    seen[l]!.push(a);
    return a;
  }));
  let result: T;
  try {
    result = withEval(model, fn);
  } finally {
    for (const h of handles) h.remove();
  }
  const attentions = seen.map((ps, l) => {
    if (ps.length === 0) fail('rollout', `attention layer '${layers[l]}' did not run in the forward pass`);
    for (const p of ps) if (p.ndim !== 4) fail('rollout', `attention layer '${layers[l]}' produced ${shapeStr(p.shape)}, expected [N,H,S,S]`);
    const total = ps.reduce((n, p) => n + p.shape[0]!, 0);
    if (total !== batch) fail('rollout', `attention layer '${layers[l]}' saw ${total} images in ${ps.length} call(s) for a batch of ${batch} (a shared module?)`);
    return ps;
  });
  return { attentions, result };
}

/** A layer's probabilities (or their derivatives) from its chunks, as one [N, H, S, S] tensor. */
function joined(chunks: readonly Tensor[]): Tensor {
  return chunks.length === 1 ? chunks[0]! : concat([...chunks], 0);
}

/** Every block's attention probabilities A_l [N, H, S, S] and the model output, from one forward pass (eval mode, no graph). */
export function captureAttention(model: Module, input: Tensor): { attentions: Tensor[]; output: Tensor } {
  const { attentions, result } = withCapture(model, attentionLayers(model), input.shape[0]!, () => noGrad(() => model.call(input)));
  return { attentions: attentions.map(joined), output: result };
}

export interface AttentionGradients {
  /** A_l [N, H, S, S] per block. */
  attentions: Tensor[];
  /** ∂S/∂A_l per block, S = Σ_n target_n: the total derivative through every later block. */
  grads: Tensor[];
  output: Tensor;
  targets: ResolvedTarget[];
}

/**
 * Attention and ∂S/∂A_l for every block from one forward and one backward pass. `fixedTargets`
 * (resolved on a clean image) take precedence over `target`, so noisy copies explain the same class.
 */
export function attentionGradients(model: Module, input: Tensor, target: Target | readonly Target[] = 'predicted', fixedTargets?: readonly ResolvedTarget[]): AttentionGradients {
  const { attentions, result: output } = withCapture(model, attentionLayers(model), input.shape[0]!, () => model.call(input));
  const targets = fixedTargets === undefined ? targetsFor(target, output) : [...fixedTargets];
  const s = totalScore(output, targets);
  const flat = attentions.flat();
  if (!s.requiresGrad || !flat.every((a) => a.requiresGrad)) fail('rollout', 'the class score does not depend on the attention through the graph (were the parameters frozen and the forward run without grad?)');
  const flatGrads = grad(s, flat, { onUnused: 'zeros' });
  let at = 0;
  const grads = attentions.map((chunks) => joined(chunks.map(() => flatGrads[at++]!)));
  return { attentions: attentions.map((chunks) => detach(joined(chunks))), grads, output: detach(output), targets };
}

/**
 * The query rows of each block's attention (`layers`, from {@link attentionLayers}) through which
 * it can reach the class score, or null for all rows. In a VisionTransformer's last block only
 * the class token's row can: the head reads the class token alone, and after the last attention
 * every token is processed on its own (residual, MLP, LayerNorm), so the other rows' outputs
 * are never read and every derivative of the score with respect to them is 0. Any other model,
 * or block, keeps all rows.
 */
export function reachingRows(model: Module, layers: readonly string[]): Array<number[] | null> {
  const blocks = model instanceof VisionTransformer ? model.encoder.layers.namedChildren() : [];
  const lastTap = blocks.length === 0 ? null : `encoder.layers.${blocks[blocks.length - 1]![0]}.self_attention.attn`;
  return layers.map((name) => (name === lastTap ? [0] : null));
}

/**
 * The exact derivative terms of one block's attention (layer = its tap's name) for Grad-CAM++
 * rollout: d1 = ∂Y/∂A, and the diagonals d2 = ∂²Y/∂A_e², d3 = ∂³Y/∂A_e³ of Y (exp(S − S₀) by
 * default) for every attention probability e, with the rest of the network (every later block
 * included) a function of A. Diagonals come from exactDerivatives' batched extraction; with
 * `rows` (query rows, e.g. from {@link reachingRows}) only the entries of those rows are
 * extracted, which is exact when the other rows cannot reach Y, and with `positiveOnly` only the
 * entries where d1 > 0; the others are left 0.
 */
export function attentionDiagonals(
  model: Module, input: Tensor, layer: string, targets: readonly ResolvedTarget[], opts: ExactOptions = {},
  rows: readonly number[] | null = null, positiveOnly = false,
): { d1: Tensor; d2: Tensor; d3: Tensor } {
  const n = input.shape[0]!;
  if (n > 1 && hookedBatchLimit(model) === 1) {
    // A graph that runs a fixed batch runs the layer once per chunk: one image at a time.
    const per = Array.from({ length: n }, (_, i) => attentionDiagonals(model, slice(input, [[i, i + 1]]), layer, [targets[i]!], opts, rows, positiveOnly));
    return { d1: concat(per.map((p) => p.d1), 0), d2: concat(per.map((p) => p.d2), 0), d3: concat(per.map((p) => p.d3), 0) };
  }
  const view = model.get(layer);
  // Heads folded into the batch ([N·H, S, S]): B copies of one image's probabilities would meet
  // values [H, S, d] in the next MatMul, which cannot broadcast them; extract one entry per pass.
  if (view instanceof AttentionView && view.folded && hookedBatchLimit(model) !== 1) opts = { ...opts, batchSize: 1 };
  const ctx: CamContext = { model, input, layer, split: splitAt(model, input, layer), targets: [...targets] };
  if (rows === null && !positiveOnly) return exactDerivatives(ctx, opts);
  const [, heads, s] = ctx.split.activation.shape as [number, number, number];
  const picked = rows ?? Array.from({ length: s }, (_, r) => r);
  if (picked.some((r, i) => !Number.isInteger(r) || r < 0 || r >= s || (i > 0 && r <= picked[i - 1]!))) fail('rollout', `rows must be ascending query rows in [0, ${s}), got [${picked.join(', ')}]`);
  return exactDerivatives(ctx, opts, (d1) => {
    const entries: number[] = [];
    for (let h = 0; h < heads; h++) {
      for (const r of picked) {
        for (let j = 0; j < s; j++) {
          const e = (h * s + r) * s + j;
          if (!positiveOnly || d1[e]! > 0) entries.push(e);
        }
      }
    }
    return entries;
  });
}
