import { fail, shapeStr } from '../tensor/errors.js';
import { sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * A forward hook sees a module's input and output; returning a tensor replaces the output for
 * the rest of the network (camlab's CAM code uses this to make "everything after layer L" a
 * function of L's activation). Returning nothing leaves the output as it was.
 */
export type ForwardHook = (output: Tensor, input: Tensor, module: Module) => Tensor | void;

export interface HookHandle {
  remove(): void;
}

/**
 * Base class of every layer: named parameters (trainable, requiresGrad), buffers (state such as
 * batch-norm running statistics), and child modules, with dotted state-dict names as in PyTorch
 * (`features.3.weight`).
 */
export abstract class Module {
  /**
   * The layer's kind, a stable plain string ('Conv2d', 'ReLU', or e.g. 'onnx:Relu' for imported
   * graphs): what `describe()`, layer listings and model specs show. Not `constructor.name`,
   * which a minifier renames.
   */
  abstract readonly kind: string;
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  /** One entry per registration (the same function registered twice has two entries). */
  private readonly hooks: Array<{ hook: ForwardHook }> = [];

  /** The layer's computation. Call modules through `call` so forward hooks apply. */
  abstract forward(x: Tensor): Tensor;

  /** Runs forward, then the forward hooks in registration order (each may replace the output). */
  call(x: Tensor): Tensor {
    let out = this.forward(x);
    // A snapshot (as PyTorch): a hook that removes itself, or adds another, does not make the
    // loop skip or run a hook in this call.
    for (const { hook } of [...this.hooks]) {
      const r = hook(out, x, this);
      if (r !== undefined) out = r;
    }
    return out;
  }

  /**
   * Whether a 4-D output of this layer is a feature map [N, C, H, W] that CAM methods can explain
   * (and the default CAM layer can be). False for layers whose output is 4-D for another reason,
   * such as attention probabilities [N, H, S, S].
   */
  get featureMap(): boolean {
    return true;
  }

  /** A short description, e.g. `Conv2d(3, 16, kernel=3, padding=1)`. */
  describe(): string {
    return this.kind;
  }

  protected registerParameter(name: string, t: Tensor): Tensor {
    checkName(name);
    t.requiresGrad = true;
    this.params.set(name, t);
    return t;
  }

  protected registerBuffer(name: string, t: Tensor): Tensor {
    checkName(name);
    this.buffers.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    checkName(name);
    this.children.set(name, m);
    return m;
  }

  protected param(name: string): Tensor {
    const t = this.params.get(name);
    if (t === undefined) fail('Module', `${this.describe()} has no parameter '${name}'`);
    return t;
  }

  protected buffer(name: string): Tensor {
    const t = this.buffers.get(name);
    if (t === undefined) fail('Module', `${this.describe()} has no buffer '${name}'`);
    return t;
  }

  protected hasTensor(name: string): boolean {
    return this.params.has(name) || this.buffers.has(name);
  }

  /** Direct children in registration order. */
  namedChildren(): Array<[string, Module]> {
    return [...this.children.entries()];
  }

  /** This module and every descendant, with dotted names ('' for this module). */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [n, c] of this.children) out.push(...c.namedModules(prefix === '' ? n : `${prefix}.${n}`));
    return out;
  }

  /** Trainable tensors with dotted names. */
  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, t] of this.params) out.push([join(prefix, n), t]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(join(prefix, n)));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Non-trainable state (e.g. running statistics) with dotted names. */
  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, t] of this.buffers) out.push([join(prefix, n), t]);
    for (const [n, c] of this.children) out.push(...c.namedBuffers(join(prefix, n)));
    return out;
  }

  /** Total number of trainable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /** Parameters and buffers by state-dict name, in registration order (PyTorch's state_dict()). */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const walk = (m: Module, prefix: string): void => {
      for (const [n, t] of m.params) out.set(join(prefix, n), t);
      for (const [n, t] of m.buffers) out.set(join(prefix, n), t);
      for (const [n, c] of m.children) walk(c, join(prefix, n));
    };
    walk(this, '');
    return out;
  }

  /**
   * Loads tensors by state-dict name. Missing, unexpected and mis-shaped keys are all collected
   * and reported in one error (with `strict: false`, missing and unexpected keys are allowed).
   * Values are cast to each parameter's dtype.
   */
  loadStateDict(dict: ReadonlyMap<string, Tensor>, opts: { strict?: boolean } = {}): void {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !dict.has(k));
    const unexpected = [...dict.keys()].filter((k) => !own.has(k));
    const misshaped: string[] = [];
    for (const [k, t] of dict) {
      const mine = own.get(k);
      if (mine !== undefined && !sameShape(mine.shape, t.shape)) {
        misshaped.push(`${k}: checkpoint ${shapeStr(t.shape)} vs model ${shapeStr(mine.shape)}`);
      }
    }
    const problems: string[] = [];
    if (strict && missing.length > 0) problems.push(`missing keys: ${missing.join(', ')}`);
    if (strict && unexpected.length > 0) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
    if (misshaped.length > 0) problems.push(`shape mismatches: ${misshaped.join('; ')}`);
    if (problems.length > 0) fail('loadStateDict', problems.join(' | '));
    // Copy into the existing storage (as PyTorch's param.copy_), so optimizers keep their references.
    for (const [k, t] of dict) own.get(k)?.data.set(t.data);
  }

  /** The submodule at a dotted path ('' = this module); throws listing the valid names. */
  get(path: string): Module {
    if (path === '') return this;
    const found = this.namedModules().find(([n]) => n === path);
    if (found === undefined) {
      const names = this.namedModules().map(([n]) => n).filter((n) => n !== '');
      fail('Module.get', `no layer named '${path}'; layers are: ${names.join(', ')}`);
    }
    return found[1];
  }

  /** Whether a forward hook watches this module's output (fused inference paths then leave it alone). */
  hasForwardHooks(): boolean {
    return this.hooks.length > 0;
  }

  /** Adds a forward hook to this module. */
  registerForwardHook(hook: ForwardHook): HookHandle {
    const entry = { hook };
    this.hooks.push(entry);
    return {
      remove: () => {
        const i = this.hooks.indexOf(entry);
        if (i >= 0) this.hooks.splice(i, 1);
      },
    };
  }

  /** Sets training mode on this module and all descendants. */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  /** Evaluation mode: batch norm uses running statistics, dropout is off. */
  eval(): this {
    return this.train(false);
  }
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function checkName(name: string): void {
  if (name === '' || name.includes('.')) fail('Module', `invalid tensor or module name '${name}' (non-empty, no dots)`);
}
