import { cast } from '../autodiff/ops/unary.js';
import { concat, permute, reshape, slice } from '../autodiff/ops/movement.js';
import { expand } from '../autodiff/ops/reduce.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module, type ForwardHook, type HookHandle } from './module.js';
import { SourceHook } from './source-hook.js';

/** Suffix of a token layer's feature-map view: `encoder.layers.encoder_layer_1.ln_1:grid`. */
export const GRID_SUFFIX = ':grid';

/**
 * A token layer seen as a feature map, as pytorch-grad-cam's reshape_transform for ViTs: the
 * output [N, P + h·w, D] of `source` (P leading tokens, the class token, dropped) viewed as
 * [N, D, h, w]. Hooks on the view see the map; a hook's replacement map goes back into the token
 * sequence (the leading tokens kept from the original, repeated over a larger batch), so CAM
 * methods cut a transformer at a token layer like a CNN at a conv layer. The view costs nothing
 * until something hooks it: it then hooks `source` for as long as it has hooks of its own.
 */
export class TokenGrid extends Module {
  readonly kind: string;
  private readonly sourceHook: SourceHook;
  private last: Tensor | null = null;

  constructor(
    /** The module whose token output is viewed. */
    readonly source: Module,
    /** Leading tokens dropped (1: the class token). */
    readonly prefix: number,
    /** The patch grid [h, w]. */
    readonly grid: readonly [number, number],
    kind = 'TokenGrid',
    /** The view's layer name in error messages (`encoder.layers.encoder_layer_1.ln_1:grid`). */
    readonly label = kind,
  ) {
    super();
    this.sourceHook = new SourceHook(source, (out) => this.tokens(this.call(out), out), () => (this.last = null));
    if (!Number.isInteger(prefix) || prefix < 0) fail(label, `leading tokens must be a non-negative integer, got ${prefix}`);
    if (!grid.every((g) => Number.isInteger(g) && g >= 1)) fail(label, `grid must be positive integers, got ${shapeStr(grid)}`);
    this.kind = kind;
    this.training = false;
  }

  override registerForwardHook(hook: ForwardHook): HookHandle {
    return this.sourceHook.wrap(super.registerForwardHook(hook));
  }

  /** tokens [N, P + h·w, D] → map [N, D, h, w]. */
  override forward(tokens: Tensor): Tensor {
    const [h, w] = this.grid;
    if (tokens.ndim !== 3 || tokens.shape[1] !== this.prefix + h * w) {
      fail(this.label, `expects tokens [N,${this.prefix + h * w},D] (${this.prefix} leading + ${h}x${w} patches), got ${shapeStr(tokens.shape)}`);
    }
    const [n, l, d] = tokens.shape as [number, number, number];
    this.last = reshape(permute(slice(tokens, [null, [this.prefix, l], null]), [0, 2, 1]), [n, d, h, w]);
    return this.last;
  }

  /**
   * The token sequence the network continues with after the view's hooks ran: the original when
   * no hook replaced the map, else the replacement map's patches after the original's leading tokens.
   */
  tokens(map: Tensor, original: Tensor): Tensor {
    // Drop the reference to the view's map (and the graph behind it) once the hooks have run.
    const unchanged = map === this.last;
    this.last = null;
    if (unchanged) return original;
    const [h, w] = this.grid;
    const [n, , d] = original.shape as [number, number, number];
    if (map.ndim !== 4 || map.shape[1] !== d || map.shape[2] !== h || map.shape[3] !== w) {
      fail(this.label, `the replacement map has shape ${shapeStr(map.shape)}, expected [B,${d},${h},${w}]`);
    }
    const b = map.shape[0]!;
    if (b !== n && n !== 1) fail(this.label, `the replacement map has batch ${b}, the tokens ${n}`);
    const patches = permute(reshape(cast(map, original.dtype), [b, d, h * w]), [0, 2, 1]);
    if (this.prefix === 0) return patches;
    const lead = slice(original, [null, [0, this.prefix], null]);
    return concat([b === n ? lead : expand(lead, [b, this.prefix, d]), patches], 1);
  }

  override describe(): string {
    return `${this.kind}(drop ${this.prefix}, ${this.grid[0]}x${this.grid[1]} grid)`;
  }
}

/**
 * `names` with the grid views of `views` (source name → view) inserted right after their sources:
 * how a model lists its token maps among its layers.
 */
export function withGridViews(names: Array<[string, Module]>, views: ReadonlyMap<string, TokenGrid>): Array<[string, Module]> {
  return names.flatMap((entry): Array<[string, Module]> => {
    const view = views.get(entry[0]);
    return view === undefined ? [entry] : [entry, [entry[0] + GRID_SUFFIX, view]];
  });
}
