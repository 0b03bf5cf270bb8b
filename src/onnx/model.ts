import { concat, slice } from '../autodiff/ops/movement.js';
import { cast } from '../autodiff/ops/unary.js';
import type { GraphModel } from '../nn/graph-model.js';
import { Module } from '../nn/module.js';
import type { DType } from '../tensor/dtype.js';
import { CamlabError, shapeStr } from '../tensor/errors.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { declaredShape, fmtDims, type OnnxGraph } from './graph.js';
import { gapLinearHead, opsAfter } from './head.js';
import type { RunArg, RunContext } from './op.js';
import { batchOf, buildPlan, shapeAt, valueAt, type Plan, type Ref } from './plan.js';
import { modulePath, nearestNames } from './names.js';
import { OnnxTap } from './taps.js';
import { GRID_SUFFIX, TokenGrid } from '../nn/token-grid.js';
import { ATTN_SUFFIX, AttentionView } from '../nn/attention-view.js';
import type { HostValue } from './values.js';
import { onnxFail } from './errors.js';
import { planFusions, type ConvFusion } from './fusion.js';
import { convInference } from './ops/nn.js';
import { isGradEnabled } from '../autodiff/mode.js';

export { GRID_SUFFIX } from '../nn/token-grid.js';

/** A candidate CAM layer of an ONNX model: a node output (or a token map view) with its shape for one image. */
export interface OnnxLayerInfo {
  /** The name `get()` and the CAM `layer` option take: the ONNX tensor name, plus `:grid` for token maps. */
  name: string;
  /** The PyTorch module path of the producing node (`layer4.1.relu_1`), or '' for top-level nodes. */
  modulePath: string;
  /** ONNX op type, or 'tokens' for a token map view. */
  op: string;
  /** Output shape for a batch of one image. */
  shape: number[];
}

/**
 * An ONNX graph as a camlab Module. `forward(x)` runs the graph's run-time nodes in topological
 * order with camlab's differentiable ops (so gradients of every order flow through it), in the
 * dtype chosen at load. Every node output is a hookable {@link OnnxTap} named by its ONNX tensor
 * name, listed by `namedModules()` in execution order; `get()` also takes PyTorch module paths
 * (`layer4.1` = the last node torch.onnx scoped under /layer4/layer4.1/) and `name:grid` token
 * map views. Inference only: train()/eval() change nothing.
 */
export class OnnxModel extends Module implements GraphModel {
  readonly kind = 'onnx';
  readonly inputName: string;
  readonly outputNames: readonly string[];
  /** The declared input shape ([N, C, H, W]; null for symbolic dimensions). */
  readonly inputShape: ReadonlyArray<number | null>;
  private readonly plans = new Map<string, Plan>();
  private readonly primary: Plan;
  private readonly taps = new Map<string, OnnxTap>();
  private readonly grids = new Map<string, TokenGrid>();
  /** Softmax output → its [N, H, S, S] attention view (attention-view.ts). */
  private readonly attention = new Map<string, AttentionView>();
  /** Module path → the tensor name of the last node in that scope. */
  private readonly paths = new Map<string, string>();
  private readonly cache = new WeakMap<HostValue, Tensor>();
  /** Outputs computed from a global pooling (after the feature maps): reachable by get(), not listed by namedModules(). */
  private readonly pooled = new Set<string>();
  private readonly ctx: RunContext;
  /** The fusable convolutions of each plan (fusion.ts), found on first use. */
  private readonly fusions = new WeakMap<Plan, Map<number, ConvFusion>>();
  /** Whether a hook watched an output during the run in progress. */
  private hooked = false;
  /** The values of the last run a hook watched (a CAM's cut), for {@link headAfter}. */
  private lastHooked: { plan: Plan; env: Map<string, Tensor> } | null = null;

  constructor(
    private readonly graph: OnnxGraph,
    readonly dtype: DType,
    /** The [C, H, W] planned at load (from the declaration or the inputShape option). */
    planned: readonly number[],
  ) {
    super();
    this.training = false;
    this.inputName = graph.input.name;
    this.outputNames = graph.outputs;
    this.inputShape = declaredShape(graph.input) ?? [null, ...planned];
    this.ctx = { dtype, tensor: (v, what) => this.tensorOf(v, what) };
    this.primary = this.planFor([this.inputShape[0] ?? 1, ...planned]);
    for (const step of this.primary.steps) {
      const { node } = step.graphNode;
      const path = modulePath(node.name);
      for (const out of step.outputs) if (out !== '') this.taps.set(out, new OnnxTap(out, node.opType, path));
      const first = step.outputs.find((o) => o !== '');
      const parts = path === '' ? [] : path.split('.');
      // Every enclosing scope ends (so far) at this node: the last node wins, as pytorch-grad-cam's layer4[-1].
      if (first !== undefined) for (let i = 1; i <= parts.length; i++) this.paths.set(parts.slice(0, i).join('.'), first);
    }
    this.findGrids();
    this.findAttention();
    this.findPooled();
  }

  /** Whether batches of any size run at once (null), or why the graph runs a fixed number of images at a time. */
  get batchFixed(): string | null {
    return this.primary.batchFixed;
  }

  override forward(x: Tensor): Tensor {
    return this.run(x)[0]!;
  }

  /** Every graph output for input x, in the graph's output order. */
  run(x: Tensor): Tensor[] {
    if (!(x instanceof Tensor)) onnxFail(`the input must be a Tensor, got ${String(x)}`);
    const plan = this.planFor(x.shape);
    const input = cast(x, this.dtype);
    if (plan.batchFixed !== null && x.shape[0] !== plan.n0) return this.chunks(input, plan.n0, (c) => this.runFrom(plan, new Map([[this.inputName, c]]), 0));
    this.hooked = false;
    const env = new Map([[this.inputName, input]]);
    const outs = this.runFrom(plan, env, 0);
    // Keep the values of a run that a hook watched: a CAM's head then starts after its layer.
    this.lastHooked = this.hooked && plan.batchFixed === null ? { plan, env } : null;
    return outs;
  }

  /**
   * The rest of the graph after `layer`'s output (a tensor name or module path) as a function of
   * that output, on the values the last hooked run computed (the run that cut the graph there):
   * only the steps after the one that produced it run, with every earlier value reused. null when
   * no such run is at hand (or the graph runs in fixed batches, or `layer` is a token map view).
   */
  headAfter(layer: string): ((h: Tensor) => Tensor) | null {
    const last = this.lastHooked;
    // A token layer is cut at its map view, whose values are not the graph's: re-run it whole.
    const name = this.camLayer(layer).endsWith(GRID_SUFFIX) ? null : this.resolve(layer);
    if (last === null || name === null || !last.env.has(name)) return null;
    const s = last.plan.steps.findIndex((step) => step.outputs.includes(name));
    if (s < 0) return null;
    return (h) => this.runFrom(last.plan, new Map([...last.env, [name, h]]), s + 1)[0]!;
  }

  /** The program for an input of this shape (planned once per [C, H, W]). */
  private planFor(shape: readonly number[]): Plan {
    const rank = this.inputShape.length;
    if (shape.length !== rank) onnxFail(`the model takes ${rank}-D input ${fmtDims(this.inputShape)}, got ${shapeStr(shape)}`);
    const key = shape.slice(1).join(',');
    let plan = this.plans.get(key);
    if (plan === undefined) {
      const declared = this.inputShape.every((d, i) => i === 0 || d === null || d === shape[i]);
      try {
        plan = buildPlan(this.graph, [this.inputShape[0] ?? 1, ...shape.slice(1)], this.dtype);
      } catch (e) {
        // Another image size than the export's: say so, the reshapes usually have it baked in.
        if (e instanceof CamlabError && !declared) onnxFail(`the model was exported for input ${fmtDims(this.inputShape)} and cannot run ${shapeStr(shape)}: ${e.message.replace(/^onnx: /, '')}`);
        throw e;
      }
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** Runs steps from `start` on, recording each output through its tap (whose hooks may replace it). */
  private runFrom(plan: Plan, env: Map<string, Tensor>, start: number): Tensor[] {
    for (let s = start; s < plan.steps.length; s++) {
      const step = plan.steps[s]!;
      const { op, attrs } = step.graphNode;
      const args = step.inputs.map((r) => this.arg(r, env, plan));
      const fused = this.fusedConv(plan, s, args, env);
      if (fused !== null) {
        const last = plan.steps[fused.last]!;
        this.checkShape(plan, fused.name, fused.out, last.graphNode.attrs.label);
        env.set(fused.name, this.record(fused.name, fused.out, last.graphNode.node.opType));
        s = fused.last;
        continue;
      }
      let outs: Tensor[];
      try {
        outs = op.run!(args, attrs, this.ctx);
      } catch (e) {
        if (e instanceof CamlabError && e.op !== 'onnx') attrs.fail(e.message);
        throw e;
      }
      for (let i = 0; i < step.outputs.length; i++) {
        const name = step.outputs[i]!;
        if (name === '') continue;
        this.checkShape(plan, name, outs[i]!, attrs.label);
        const t = this.record(name, outs[i]!, step.graphNode.node.opType);
        if (plan.batchFixed !== null && t !== outs[i] && t.shape[0] !== outs[i]!.shape[0]) {
          // A hook put a larger batch into a graph that runs a fixed batch: finish each chunk separately.
          return this.chunks(t, outs[i]!.shape[0]!, (c) => this.runFrom(plan, new Map([...env, [name, c]]), s + 1));
        }
        env.set(name, t);
      }
    }
    return plan.outputs.map((r) => (r.kind === 'tensor' ? env.get(r.name)! : this.tensorOf(this.arg(r, env, plan), 'graph output')));
  }

  /**
   * Inference without a graph: a Conv and the Relu, Add or Add → Relu after it (fusion.ts) as one
   * kernel call, when no hook or token view watches the outputs it skips; null otherwise.
   */
  private fusedConv(plan: Plan, s: number, args: RunArg[], env: Map<string, Tensor>): { out: Tensor; name: string; last: number } | null {
    if (isGradEnabled()) return null;
    let fusions = this.fusions.get(plan);
    if (fusions === undefined) this.fusions.set(plan, (fusions = planFusions(plan)));
    const f = fusions.get(s);
    if (f === undefined || f.hidden.some((n) => this.taps.get(n)?.hasForwardHooks())) return null;
    const residual = f.residual === null ? null : this.tensorOf(this.arg(f.residual, env, plan), 'Add input');
    const out = convInference(args, plan.steps[s]!.graphNode.attrs, this.ctx, { residual, relu: f.relu });
    return out === null ? null : { out, name: f.out, last: f.last };
  }

  /** Runs `f` on chunks of `size` images along axis 0 and concatenates each output along axis 0. */
  private chunks(x: Tensor, size: number, f: (chunk: Tensor) => Tensor[]): Tensor[] {
    const n = x.shape[0]!;
    if (n % size !== 0) onnxFail(`the graph runs ${size} image(s) at a time (${this.primary.batchFixed}); a batch of ${n} does not split into such chunks`);
    const parts: Tensor[][] = [];
    for (let i = 0; i < n; i += size) parts.push(f(slice(x, [[i, i + size]])));
    return parts[0]!.map((_, k) => concat(parts.map((p) => p[k]!), 0));
  }

  private arg(r: Ref, env: Map<string, Tensor>, plan: Plan): RunArg {
    switch (r.kind) {
      case 'none': return null;
      case 'tensor': return env.get(r.name)!;
      case 'const': return r.value;
      case 'sym': {
        const src = env.get(r.value.src)!;
        return valueAt(r.value, batchOf(plan.shapes.get(r.value.src), src.shape)!);
      }
    }
  }

  /** A load-time value as a tensor of the model's dtype (constants converted once). */
  private tensorOf(v: RunArg, what: string): Tensor {
    if (v === null) onnxFail(`${what} is missing`);
    if (v instanceof Tensor) return v;
    let t = this.cache.get(v);
    if (t === undefined) {
      if (v.data.length === 0) onnxFail(`${what} is an empty tensor ${shapeStr(v.shape)} (camlab has no empty tensors)`);
      const data = this.dtype === 'float32' ? (v.data instanceof Float32Array ? v.data : Float32Array.from(v.data)) : v.data instanceof Float64Array ? v.data : Float64Array.from(v.data);
      t = new Tensor(data, v.shape);
      this.cache.set(v, t);
    }
    return t;
  }

  /** Catches a kernel or shape-function disagreement at the node where it happens. */
  private checkShape(plan: Plan, name: string, t: Tensor, label: string): void {
    const sym = plan.shapes.get(name)!;
    const n = batchOf(sym, t.shape);
    const expected = shapeAt(sym, n ?? 0);
    if (!sameShape(expected, t.shape)) onnxFail(`${label} produced ${shapeStr(t.shape)} for '${name}' where the load-time plan expected ${shapeStr(expected)}`);
  }

  /** Passes an output through its tap (whose hooks include a hooked token view's); returns what the graph continues with. */
  private record(name: string, t: Tensor, opType: string): Tensor {
    let tap = this.taps.get(name);
    if (tap === undefined) {
      tap = new OnnxTap(name, opType, '');
      this.taps.set(name, tap);
    }
    if (tap.hasForwardHooks()) this.hooked = true;
    return tap.call(t);
  }

  /**
   * Token layers with a map view: outputs [N, P + s², D] (N the batch, P = 1 class token or 0,
   * s ≥ 2) whose patch tokens still reach the output through attention, i.e. a MatMul of two
   * run-time tensors lies downstream. The last block's output (read only through its class
   * token) has none, so the default layer of a ViT is its last block's ln_1, as DESIGN.md says.
   */
  private findGrids(): void {
    const reaches = new Set<string>();
    for (let s = this.primary.steps.length - 1; s >= 0; s--) {
      const step = this.primary.steps[s]!;
      const tensors = step.inputs.filter((r): r is { kind: 'tensor'; name: string } => r.kind === 'tensor').map((r) => r.name);
      const mixing = step.graphNode.node.opType === 'MatMul' && tensors.length === 2;
      if (mixing || step.outputs.some((o) => reaches.has(o))) for (const t of tensors) reaches.add(t);
    }
    for (const [name, tap] of this.taps) {
      const sym = this.primary.shapes.get(name);
      if (sym === undefined || sym.length !== 3 || !reaches.has(name)) continue;
      const batchFirst = this.primary.batchFixed === null ? sym[0]!.k === 1 && sym[0]!.b === 0 : sym[0]!.b === this.primary.n0;
      if (!batchFirst) continue;
      if (sym[1]!.k !== 0 || sym[2]!.k !== 0) continue;
      const l = sym[1]!.b;
      for (const prefix of [1, 0]) {
        const side = Math.round(Math.sqrt(l - prefix));
        if (side >= 2 && side * side === l - prefix) {
          this.grids.set(name, new TokenGrid(tap, prefix, [side, side], 'onnx:tokens', `onnx: ${name}${GRID_SUFFIX}`));
          break;
        }
      }
    }
  }

  /**
   * Attention probabilities: Softmax outputs over the last axis of a square [N·H, S, S] (torch.onnx's
   * nn.MultiheadAttention, heads folded into the batch) or [N, H, S, S] with S ≥ 2 that a MatMul
   * of two run-time tensors reads (the probabilities times the values). Each gets an
   * {@link AttentionView} `name:attn`; the scope's path plus `.attn`
   * (`encoder.layers.encoder_layer_0.self_attention.attn`, the tap name of camlab's own ViT) selects it too.
   */
  private findAttention(): void {
    const n0 = this.primary.n0;
    const fixed = this.primary.batchFixed !== null;
    for (const step of this.primary.steps) {
      const { node, attrs } = step.graphNode;
      if (node.opType !== 'Softmax' || step.outputs[0] === undefined || step.outputs[0] === '') continue;
      const name = step.outputs[0];
      const sym = this.primary.shapes.get(name);
      if (sym === undefined || (sym.length !== 3 && sym.length !== 4)) continue;
      const rank = sym.length;
      // Over the last axis only (any opset's default or explicit axis that means the rows).
      const axis = attrs.int('axis', attrs.opset >= 13 ? -1 : 1);
      if (axis !== -1 && axis !== rank - 1) continue;
      const [rows, cols] = [sym[rank - 2]!, sym[rank - 1]!];
      if (rows.k !== 0 || cols.k !== 0 || rows.b !== cols.b || rows.b < 2) continue;
      const readByMatMul = this.primary.steps.some((s) => s.graphNode.node.opType === 'MatMul' && s.inputs.some((r) => r.kind === 'tensor' && r.name === name)
        && s.inputs.every((r) => r.kind === 'tensor'));
      if (!readByMatMul) continue;
      let heads: number;
      if (rank === 3) {
        heads = fixed ? sym[0]!.b / n0 : sym[0]!.k;
        if (!Number.isInteger(heads) || heads < 1 || (!fixed && sym[0]!.b !== 0)) continue;
      } else {
        const batchFirst = fixed ? sym[0]!.b === n0 : sym[0]!.k === 1 && sym[0]!.b === 0;
        if (!batchFirst || sym[1]!.k !== 0) continue;
        heads = sym[1]!.b;
      }
      const tap = this.taps.get(name)!;
      const view = new AttentionView(tap, heads, rank === 3, 'onnx:attention', `onnx: ${name}${ATTN_SUFFIX}`);
      this.attention.set(name, view);
      if (tap.modulePath !== '') this.paths.set(`${tap.modulePath}.attn`, name + ATTN_SUFFIX);
    }
  }

  /** The attention views (`name:attn`, [N, H, S, S]) in execution order, by their most readable name. */
  attentionLayers(): string[] {
    return [...this.attention.keys()].map((name) => this.aliasesOf(name + ATTN_SUFFIX).at(-1) ?? name + ATTN_SUFFIX);
  }

  /**
   * Outputs computed only from a global pooling (GlobalAveragePool, GlobalMaxPool, or a ReduceMean
   * or ReduceMax over the spatial axes of a 4-D tensor); a squeeze-and-excitation product with the
   * feature map is not one of them. The head's reshapes there can look like
   * feature maps (ConvNeXt's classifier LayerNorm2d sees [N, 1, 1, C]); CAM's default layer is
   * the last feature map before pooling, so namedModules() leaves these out.
   */
  private findPooled(): void {
    for (const step of this.primary.steps) {
      const { node, attrs } = step.graphNode;
      const tensors = step.inputs.filter((r): r is { kind: 'tensor'; name: string } => r.kind === 'tensor').map((r) => r.name);
      let pools = node.opType === 'GlobalAveragePool' || node.opType === 'GlobalMaxPool';
      if ((node.opType === 'ReduceMean' || node.opType === 'ReduceMax') && tensors.length > 0) {
        const rank = this.primary.shapes.get(tensors[0]!)!.length;
        const axes = (attrs.ints('axes') ?? []).map((a) => (a < 0 ? a + rank : a));
        pools = rank === 4 && axes.includes(2) && axes.includes(3);
      }
      if (pools || (tensors.length > 0 && tensors.every((t) => this.pooled.has(t)))) for (const o of step.outputs) if (o !== '') this.pooled.add(o);
    }
  }

  /** [name, module] for the model ('') and every tap (and token map view) up to global pooling, in execution order. */
  override namedModules(prefix = ''): Array<[string, Module]> {
    const join = (n: string): string => (prefix === '' ? n : `${prefix}.${n}`);
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, tap] of this.taps) {
      if (this.pooled.has(name)) continue;
      out.push([join(name), tap]);
      const grid = this.grids.get(name);
      if (grid !== undefined) out.push([join(name + GRID_SUFFIX), grid]);
      const attn = this.attention.get(name);
      if (attn !== undefined) out.push([join(name + ATTN_SUFFIX), attn]);
    }
    return out;
  }

  /**
   * A layer by ONNX tensor name, by PyTorch module path (the last node in that scope), or either
   * with `:grid` for a token layer's map view. An unknown name fails listing the closest names.
   */
  override get(name: string): Module {
    if (name === '') return this;
    if (name.endsWith(GRID_SUFFIX)) {
      const base = this.resolve(name.slice(0, -GRID_SUFFIX.length));
      const grid = base === null ? undefined : this.grids.get(base);
      if (grid !== undefined) return grid;
      if (base !== null) onnxFail(`layer '${name}': '${base}' ${shapeStr(shapeAt(this.primary.shapes.get(base)!, 1))} is not a token sequence [N, 1 + h·w, D] that attention reads`);
    }
    const tensor = this.resolve(name);
    if (tensor !== null && tensor.endsWith(ATTN_SUFFIX)) return this.attention.get(tensor.slice(0, -ATTN_SUFFIX.length))!;
    if (tensor !== null) return this.taps.get(tensor)!;
    if (name.endsWith(ATTN_SUFFIX)) {
      const base = this.resolve(name.slice(0, -ATTN_SUFFIX.length));
      const view = base === null ? undefined : this.attention.get(base);
      if (view !== undefined) return view;
      if (base !== null) onnxFail(`layer '${name}': '${base}' ${shapeStr(shapeAt(this.primary.shapes.get(base)!, 1))} is not the attention probabilities [N·H, S, S] or [N, H, S, S] of a Softmax that attention reads`);
    }
    return this.unknownLayer(name);
  }

  /** Fails for a name no layer has, listing the closest names. */
  private unknownLayer(name: string): never {
    const close = nearestNames(name, [...this.paths.keys(), ...this.taps.keys()], 6);
    onnxFail(`no layer named '${name}'${close.length > 0 ? `; closest: ${close.join(', ')}` : ''} (module paths such as layer4.1, or ONNX tensor names: listed by layers() and camlab info)`);
  }

  /** The tensor name a layer name refers to, or null. */
  private resolve(name: string): string | null {
    if (this.taps.has(name)) return name;
    return this.paths.get(name) ?? null;
  }

  /**
   * The candidate CAM layers for an input of [C, H, W] (default: the planned shape): every node
   * output and token map view, in execution order, with its module path, op type and shape for
   * one image.
   */
  layers(inputShape?: readonly number[]): OnnxLayerInfo[] {
    const plan = inputShape === undefined ? this.primary : this.planFor([this.primary.n0, ...inputShape]);
    const one = (name: string): number[] => {
      const sym = plan.shapes.get(name)!;
      return plan.batchFixed === null ? shapeAt(sym, 1) : sym.map((d) => d.b);
    };
    const out: OnnxLayerInfo[] = [];
    for (const step of plan.steps) {
      for (const name of step.outputs) {
        if (name === '') continue;
        const tap = this.taps.get(name);
        const modulePath = tap?.modulePath ?? '';
        out.push({ name, modulePath, op: step.graphNode.node.opType, shape: one(name) });
        const grid = this.grids.get(name);
        if (grid !== undefined) {
          const s = one(name);
          out.push({ name: name + GRID_SUFFIX, modulePath, op: 'tokens', shape: [s[0]!, s[2]!, ...grid.grid] });
        }
        const attn = this.attention.get(name);
        if (attn !== undefined) {
          const s = one(name);
          const size = s[s.length - 1]!;
          out.push({ name: name + ATTN_SUFFIX, modulePath, op: 'attention', shape: [attn.folded ? s[0]! / attn.heads : s[0]!, attn.heads, size, size] });
        }
      }
    }
    return out;
  }

  /**
   * The layers a CAM can explain, in execution order: 4-D outputs larger than 1×1 before global
   * pooling, and token map views (`name:grid`). `alias` is the most specific module path that
   * selects the layer (for a token view: its token layer, which CAM cuts at the view), or ''.
   */
  camLayers(): Array<OnnxLayerInfo & { alias: string }> {
    const listed = new Set(this.namedModules().map(([n]) => n));
    return this.layers()
      .filter((l) => listed.has(l.name) && l.shape.length === 4 && l.shape[2]! * l.shape[3]! > 1 && l.op !== 'attention' && !this.attention.has(l.name))
      .map((l) => ({ ...l, alias: this.aliasesOf(l.name.endsWith(GRID_SUFFIX) ? l.name.slice(0, -GRID_SUFFIX.length) : l.name).at(-1) ?? '' }));
  }

  /** The [C, H, W] the model was planned for at load (the declared size, or the inputShape option's). */
  get plannedInput(): number[] {
    return shapeAt(this.primary.shapes.get(this.inputName)!, 1).slice(1);
  }

  /** The first output's shape for one image ([1, classes] for a classifier), from the load-time plan. */
  get outputShape(): number[] {
    const r = this.primary.outputs[0]!;
    if (r.kind === 'tensor') {
      const sym = this.primary.shapes.get(r.name)!;
      return this.primary.batchFixed === null ? shapeAt(sym, 1) : sym.map((d) => d.b);
    }
    return r.kind === 'const' ? r.value.shape.slice() : r.kind === 'sym' ? r.value.shape.slice() : [];
  }

  /** A layer name as people read it: the module path that selects it, then the tensor name (`layer4.1.relu_1 (/layer4/…/Relu_output_0)`). */
  layerLabel(layer: string): string {
    const base = layer.endsWith(GRID_SUFFIX) ? layer.slice(0, -GRID_SUFFIX.length) : layer;
    if (!this.taps.has(base)) return layer; // a module path already
    const alias = this.aliasesOf(base).at(-1);
    return alias === undefined ? layer : `${alias} (${layer})`;
  }

  /** A CAM at a token layer with a patch grid cuts at its map view (`name:grid`); any other layer at itself. */
  camLayer(layer: string): string {
    if (layer.endsWith(GRID_SUFFIX)) return layer;
    const tensor = this.resolve(layer);
    return tensor !== null && this.grids.has(tensor) ? tensor + GRID_SUFFIX : layer;
  }

  /** W_fc [classes, K] when the layer is followed by global average pooling and one linear layer (see {@link gapLinearHead}), else the ops that follow it. */
  gapLinearWeight(layer: string): Tensor | { follows: string } {
    if (layer.endsWith(GRID_SUFFIX)) return { follows: 'a token sequence (attention)' };
    const tensor = this.resolve(layer) ?? this.unknownLayer(layer);
    const head = gapLinearHead(this.primary, tensor);
    if (head === null) return { follows: opsAfter(this.primary, tensor) };
    return new Tensor(this.dtype === 'float32' ? Float32Array.from(head.weight) : head.weight, head.shape);
  }

  /** The module paths that select this tensor (scopes whose last node produced it), shortest first: the names users know from PyTorch. */
  aliasesOf(tensorName: string): string[] {
    return [...this.paths].filter(([, t]) => t === tensorName).map(([p]) => p).sort((a, b) => a.length - b.length);
  }

  override describe(): string {
    const fixed = this.batchFixed === null ? '' : ', fixed batch';
    return `OnnxModel(${this.graph.producer || 'unknown producer'}, opset ${this.graph.opset}, ${this.primary.steps.length} nodes, ${this.dtype}${fixed})`;
  }
}
