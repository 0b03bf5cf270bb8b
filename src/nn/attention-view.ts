import { isGradEnabled } from '../autodiff/mode.js';
import { reshape } from '../autodiff/ops/movement.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { AttentionProbabilities } from './attention.js';
import type { ForwardHook, HookHandle, Module } from './module.js';
import { SourceHook } from './source-hook.js';

/** Suffix of an imported graph's attention-probabilities view: `/encoder/…/Softmax_output_0:attn`. */
export const ATTN_SUFFIX = ':attn';

/**
 * The attention probabilities of an imported graph (the output of a Softmax over the keys) seen
 * as the [N, H, S, S] tensor rollout reads, whatever layout the exporter chose: torch.onnx writes
 * nn.MultiheadAttention's probabilities as [N·H, S, S] (the heads folded into the batch), other
 * exporters as [N, H, S, S]. Hooks on the view see [N, H, S, S]; a hook's replacement goes back
 * into the graph in the source's layout (a larger batch B gives [B·H, S, S]). Like
 * {@link AttentionProbabilities} it is no feature map. It hooks `source` only while it has hooks.
 */
export class AttentionView extends AttentionProbabilities {
  override readonly kind: string;
  private readonly sourceHook: SourceHook;
  private last: Tensor | null = null;

  constructor(
    /** The module whose output holds the probabilities. */
    readonly source: Module,
    /** Attention heads H. */
    readonly heads: number,
    /** Whether the source folds the heads into the batch ([N·H, S, S]) instead of [N, H, S, S]. */
    readonly folded: boolean,
    kind: string,
    /** The view's layer name in error messages. */
    readonly label: string,
  ) {
    super();
    this.sourceHook = new SourceHook(source, (out) => this.back(this.call(out), out), () => (this.last = null));
    if (!Number.isInteger(heads) || heads < 1) fail(label, `heads must be a positive integer, got ${heads}`);
    this.kind = kind;
    this.training = false;
  }

  override registerForwardHook(hook: ForwardHook): HookHandle {
    return this.sourceHook.wrap(super.registerForwardHook(hook));
  }

  /** probabilities [N·H, S, S] (folded) or [N, H, S, S] → [N, H, S, S]. */
  override forward(p: Tensor): Tensor {
    const h = this.heads;
    const rank = this.folded ? 3 : 4;
    const ok = p.ndim === rank && p.shape[rank - 1] === p.shape[rank - 2] && (this.folded ? p.shape[0]! % h === 0 : p.shape[1] === h);
    if (!ok) fail(this.label, `expects attention probabilities ${this.folded ? `[N·${h},S,S]` : `[N,${h},S,S]`}, got ${shapeStr(p.shape)}`);
    const s = p.shape[rank - 1]!;
    this.last = this.folded ? reshape(p, [p.shape[0]! / h, h, s, s]) : p;
    return this.last;
  }

  /** The source's output after the view's hooks ran: the original when unchanged, else the replacement in the source's layout. */
  private back(view: Tensor, original: Tensor): Tensor {
    const unchanged = view === this.last;
    this.last = null;
    // Unchanged, the graph goes on from the view when a gradient with respect to it may be asked.
    if (unchanged && !(this.folded && view.requiresGrad && isGradEnabled())) return original;
    const s = original.shape[original.ndim - 1]!;
    if (view.ndim !== 4 || view.shape[1] !== this.heads || view.shape[2] !== s || view.shape[3] !== s) {
      fail(this.label, `the replacement has shape ${shapeStr(view.shape)}, expected [B,${this.heads},${s},${s}]`);
    }
    return this.folded ? reshape(view, [view.shape[0]! * this.heads, s, s]) : view;
  }

  override describe(): string {
    return `${this.kind}(${this.heads} heads${this.folded ? ', folded into the batch' : ''})`;
  }
}
