import { cast } from '../autodiff/ops/unary.js';
import { concat, permute, reshape, slice } from '../autodiff/ops/movement.js';
import { expand } from '../autodiff/ops/reduce.js';
import { Module, type ForwardHook, type HookHandle } from '../nn/module.js';
import { shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { onnxFail } from './errors.js';

/**
 * One node output of an ONNX graph as a module: the identity, called by the graph after the node
 * runs, so a forward hook sees the output and may replace it for the rest of the graph (as every
 * camlab layer allows). `kind` is `onnx:<OpType>`.
 */
export class OnnxTap extends Module {
  readonly kind: string;

  constructor(
    /** The ONNX tensor name, e.g. `/layer4/layer4.1/relu_1/Relu_output_0`. */
    readonly tensorName: string,
    readonly opType: string,
    /** The PyTorch module path of the producing node (`layer4.1.relu_1`), '' at the top level. */
    readonly modulePath: string,
  ) {
    super();
    this.kind = `onnx:${opType}`;
    this.training = false;
  }

  override forward(x: Tensor): Tensor {
    return x;
  }

  override describe(): string {
    return `${this.opType} → ${this.tensorName}`;
  }
}

/**
 * A token activation [N, P + h·w, D] (P = 0 or 1 leading class tokens) seen as a feature map
 * [N, D, h, w], as pytorch-grad-cam's reshape_transform for ViTs: the class token is dropped and
 * the patch tokens laid out on their grid. A hook's replacement map goes back into the token
 * sequence (the class token kept from the original, repeated over a larger batch), so CAM
 * methods can cut a transformer at a token layer. It only runs when something is hooked to it.
 */
export class TokenGrid extends Module {
  readonly kind = 'onnx:tokens';
  private hookCount = 0;
  private last: Tensor | null = null;

  constructor(
    readonly tap: OnnxTap,
    readonly prefix: number,
    readonly side: number,
  ) {
    super();
    this.training = false;
  }

  /** Whether a hook is registered (the graph skips the view otherwise). */
  get live(): boolean {
    return this.hookCount > 0;
  }

  override registerForwardHook(hook: ForwardHook): HookHandle {
    const handle = super.registerForwardHook(hook);
    this.hookCount++;
    let removed = false;
    return {
      remove: () => {
        if (removed) return;
        removed = true;
        this.hookCount--;
        handle.remove();
      },
    };
  }

  /** tokens [N, P + h·w, D] → map [N, D, h, w]. */
  override forward(tokens: Tensor): Tensor {
    const [n, l, d] = tokens.shape as [number, number, number];
    const patches = slice(tokens, [null, [this.prefix, l], null]);
    this.last = reshape(permute(patches, [0, 2, 1]), [n, d, this.side, this.side]);
    return this.last;
  }

  /**
   * The token sequence for the graph after the hooks ran: the original when no hook replaced the
   * map, else the replacement map's patches after the original's leading tokens.
   */
  tokens(map: Tensor, original: Tensor): Tensor {
    if (map === this.last) return original;
    const [n, , d] = original.shape as [number, number, number];
    if (map.ndim !== 4 || map.shape[1] !== d || map.shape[2] !== this.side || map.shape[3] !== this.side) {
      onnxFail(`the replacement for '${this.tap.tensorName}:grid' has shape ${shapeStr(map.shape)}, expected [B,${d},${this.side},${this.side}]`);
    }
    const b = map.shape[0]!;
    if (b !== n && n !== 1) onnxFail(`the replacement for '${this.tap.tensorName}:grid' has batch ${b}, the tokens ${n}`);
    const patches = permute(reshape(cast(map, original.dtype), [b, d, this.side * this.side]), [0, 2, 1]);
    if (this.prefix === 0) return patches;
    const lead = slice(original, [null, [0, this.prefix], null]);
    return concat([b === n ? lead : expand(lead, [b, this.prefix, d]), patches], 1);
  }

  override describe(): string {
    return `tokens → [N, D, ${this.side}, ${this.side}] of ${this.tap.tensorName}`;
  }
}
