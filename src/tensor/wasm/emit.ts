/**
 * A small WebAssembly emitter: enough of the binary format (LEB128, the type, import, function,
 * export and code sections, and the scalar, SIMD and control instructions the kernels use) to
 * write camlab's kernels as TypeScript that builds their bytes at load time. No toolchain, no
 * `.wasm` files. Reference: the WebAssembly core specification 2.0, §5 (binary format), and the
 * fixed-width SIMD proposal's opcode table (prefix 0xFD).
 *
 * Code is built as nested arrays of bytes (`Code`), flattened once per function, so instruction
 * helpers compose like expressions: `f32.add(x.get, f32.load(p))` pushes its operands' code, then
 * its opcode (WebAssembly is a stack machine: operands first).
 */

/** Bytes, possibly nested (flattened when the function body is finished). */
export type Code = number | readonly Code[];

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`wasm emitter: uleb of ${n}`);
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32/i64 constants within the double-exact range). */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n)) throw new Error(`wasm emitter: sleb of ${n}`);
  const out: number[] = [];
  for (;;) {
    const byte = ((n % 128) + 128) % 128;
    n = Math.floor(n / 128);
    const signBit = (byte & 0x40) !== 0;
    if ((n === 0 && !signBit) || (n === -1 && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function flatten(code: Code, out: number[]): void {
  if (typeof code === 'number') out.push(code);
  else for (const c of code) flatten(c, out);
}

function bytesOfFloat(v: number, size: 4 | 8): number[] {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  if (size === 4) dv.setFloat32(0, v, true);
  else dv.setFloat64(0, v, true);
  return Array.from(b);
}

/** Names are ASCII (export and import names camlab chooses). */
const utf8 = (s: string): number[] =>
  Array.from(s, (ch) => {
    const c = ch.charCodeAt(0);
    if (c > 0x7e) throw new Error(`wasm emitter: non-ASCII name ${s}`);
    return c;
  });
const vec = (items: readonly (readonly number[])[]): number[] => [...uleb(items.length), ...items.flat()];

// ---- instructions -------------------------------------------------------------------------------

/** memarg: log2 alignment and a constant byte offset added to the address. */
const memarg = (align: number, offset: number): number[] => [align, ...uleb(offset)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];

const bin = (op: number) => (a: Code, b: Code): Code => [a, b, op];
const un = (op: number) => (a: Code): Code => [a, op];
const sbin = (op: number) => (a: Code, b: Code): Code => [a, b, simd(op)];
const sun = (op: number) => (a: Code): Code => [a, simd(op)];

export const i32 = {
  const: (v: number): Code => [0x41, sleb(v | 0)],
  load: (addr: Code, offset = 0): Code => [addr, 0x28, memarg(2, offset)],
  store: (addr: Code, v: Code, offset = 0): Code => [addr, v, 0x36, memarg(2, offset)],
  eqz: un(0x45),
  eq: bin(0x46), ne: bin(0x47), lt_s: bin(0x48), lt_u: bin(0x49), gt_s: bin(0x4a), gt_u: bin(0x4b),
  le_s: bin(0x4c), le_u: bin(0x4d), ge_s: bin(0x4e), ge_u: bin(0x4f),
  add: bin(0x6a), sub: bin(0x6b), mul: bin(0x6c), div_s: bin(0x6d), div_u: bin(0x6e), rem_s: bin(0x6f), rem_u: bin(0x70),
  and: bin(0x71), or: bin(0x72), xor: bin(0x73), shl: bin(0x74), shr_s: bin(0x75), shr_u: bin(0x76),
};

export const f32 = {
  const: (v: number): Code => [0x43, bytesOfFloat(v, 4)],
  load: (addr: Code, offset = 0): Code => [addr, 0x2a, memarg(2, offset)],
  store: (addr: Code, v: Code, offset = 0): Code => [addr, v, 0x38, memarg(2, offset)],
  eq: bin(0x5b), ne: bin(0x5c), lt: bin(0x5d), gt: bin(0x5e), le: bin(0x5f), ge: bin(0x60),
  add: bin(0x92), sub: bin(0x93), mul: bin(0x94), div: bin(0x95),
  demote: un(0xb6),
};

export const f64 = {
  const: (v: number): Code => [0x44, bytesOfFloat(v, 8)],
  load: (addr: Code, offset = 0): Code => [addr, 0x2b, memarg(3, offset)],
  store: (addr: Code, v: Code, offset = 0): Code => [addr, v, 0x39, memarg(3, offset)],
  eq: bin(0x61), ne: bin(0x62), lt: bin(0x63), gt: bin(0x64), le: bin(0x65), ge: bin(0x66),
  add: bin(0xa0), sub: bin(0xa1), mul: bin(0xa2), div: bin(0xa3),
  promote: un(0xbb),
  convert_i32_s: un(0xb7),
};

export const v128 = {
  load: (addr: Code, offset = 0): Code => [addr, simd(0x00), memarg(0, offset)],
  store: (addr: Code, v: Code, offset = 0): Code => [addr, v, simd(0x0b), memarg(0, offset)],
  load32_splat: (addr: Code, offset = 0): Code => [addr, simd(0x09), memarg(2, offset)],
  load64_splat: (addr: Code, offset = 0): Code => [addr, simd(0x0a), memarg(3, offset)],
  /** 8 bytes into the low half, zeros above. */
  load64_zero: (addr: Code, offset = 0): Code => [addr, simd(0x5d), memarg(3, offset)],
  zero: (): Code => [simd(0x0c), new Array<number>(16).fill(0)],
  and: sbin(0x4e), andnot: sbin(0x4f), or: sbin(0x50),
  /** bitselect(a, b, mask): bits of a where mask is 1, of b where 0. */
  bitselect: (a: Code, b: Code, mask: Code): Code => [a, b, mask, simd(0x52)],
};

export const i32x4 = {
  splat: sun(0x11),
  add: sbin(0xae),
  /** A constant vector of four i32 lanes. */
  const: (lanes: readonly [number, number, number, number]): Code => {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    lanes.forEach((v, i) => dv.setInt32(4 * i, v, true));
    return [simd(0x0c), Array.from(b)];
  },
  extract_lane: (v: Code, lane: number): Code => [v, simd(0x1b), lane],
};

/** i8x16.shuffle: byte i of the result is byte lanes[i] of the 32-byte concatenation a ‖ b. */
export function shuffle(a: Code, b: Code, lanes: readonly number[]): Code {
  if (lanes.length !== 16 || lanes.some((l) => l < 0 || l > 31)) throw new Error('wasm emitter: shuffle needs 16 lanes in [0, 32)');
  return [a, b, simd(0x0d), [...lanes]];
}

export const f32x4 = {
  splat: sun(0x13),
  extract_lane: (v: Code, lane: number): Code => [v, simd(0x1f), lane],
  eq: sbin(0x41), ne: sbin(0x42), lt: sbin(0x43), gt: sbin(0x44), le: sbin(0x45), ge: sbin(0x46),
  add: sbin(0xe4), sub: sbin(0xe5), mul: sbin(0xe6), div: sbin(0xe7),
  /** Lane-wise b < a ? b : a (the JS `x < y ? ...` select, not IEEE min). */
  pmin: sbin(0xea), pmax: sbin(0xeb),
  demote_f64x2_zero: sun(0x5e),
};

export const f64x2 = {
  splat: sun(0x14),
  extract_lane: (v: Code, lane: number): Code => [v, simd(0x21), lane],
  eq: sbin(0x47), ne: sbin(0x48), lt: sbin(0x49), gt: sbin(0x4a), le: sbin(0x4b), ge: sbin(0x4c),
  add: sbin(0xf0), sub: sbin(0xf1), mul: sbin(0xf2), div: sbin(0xf3),
  pmin: sbin(0xf6), pmax: sbin(0xf7),
  promote_low_f32x4: sun(0x5f),
};

/** Structured control. Branch depths count enclosing blocks/loops/ifs from the innermost (0). */
export const ctl = {
  block: (...body: Code[]): Code => [0x02, 0x40, body, 0x0b],
  loop: (...body: Code[]): Code => [0x03, 0x40, body, 0x0b],
  if: (cond: Code, then: Code, otherwise?: Code): Code => [cond, 0x04, 0x40, then, otherwise === undefined ? [] : [0x05, otherwise], 0x0b],
  br: (depth: number): Code => [0x0c, uleb(depth)],
  br_if: (depth: number, cond: Code): Code => [cond, 0x0d, uleb(depth)],
  return: (): Code => [0x0f],
  call: (fn: number, ...args: Code[]): Code => [args, 0x10, uleb(fn)],
  drop: (v: Code): Code => [v, 0x1a],
  /** cond ? a : b with both evaluated (numeric types only). */
  select: (a: Code, b: Code, cond: Code): Code => [a, b, cond, 0x1b],
};

/** A local variable (or parameter) of the function being built. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
  readonly get: Code;
  set(v: Code): Code;
  tee(v: Code): Code;
}

function makeLocal(index: number, type: ValType): Local {
  const idx = uleb(index);
  return {
    index,
    type,
    get: [0x20, idx],
    set: (v) => [v, 0x21, idx],
    tee: (v) => [v, 0x22, idx],
  };
}

type Locals<N extends number, R extends Local[] = []> = R['length'] extends N ? R : Locals<N, [Local, ...R]>;

/** Declares locals while a function body is written. */
export class FunctionScope {
  readonly params: Local[];
  private readonly locals: ValType[] = [];

  constructor(params: readonly ValType[]) {
    this.params = params.map((t, i) => makeLocal(i, t));
  }

  local(type: ValType): Local {
    this.locals.push(type);
    return makeLocal(this.params.length + this.locals.length - 1, type);
  }

  /** n fresh i32 locals, as a tuple for destructuring. */
  i32s<N extends number>(n: N): Locals<N> {
    return Array.from({ length: n }, () => this.local('i32')) as Locals<N>;
  }

  /** The locals declaration: runs of equal types. */
  declaration(): number[] {
    const runs: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    return vec(runs.map(([n, t]) => [...uleb(n), VALTYPE[t]]));
  }
}

/**
 * `for (i = from; i < to; i += step) body` (signed compare; `to` is evaluated at the top and after
 * every iteration, so pass a local or a constant). No code runs when from >= to.
 */
export function forLoop(i: Local, from: Code, to: Code, step: Code, ...body: Code[]): Code {
  return [
    i.set(from),
    ctl.if(i32.lt_s(i.get, to), ctl.loop(body, i.set(i32.add(i.get, step)), ctl.br_if(0, i32.lt_s(i.get, to)))),
  ];
}

/** `while (cond) body` as a loop guarded by an if (cond is evaluated before every iteration). */
export function whileLoop(cond: Code, ...body: Code[]): Code {
  return ctl.if(cond, ctl.loop(body, ctl.br_if(0, cond)));
}

export interface MemoryImport {
  module: string;
  name: string;
  /** Pages of 64 KiB. */
  min: number;
  max: number;
  shared: boolean;
}

interface FunctionDef {
  name: string | null;
  type: number;
  scope: FunctionScope;
  body: Code;
}

/** Collects functions and writes a module that imports one memory and exports its named functions. */
export class ModuleBuilder {
  private readonly types: string[] = [];
  private readonly typeBytes: number[][] = [];
  private readonly funcs: FunctionDef[] = [];

  private typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const bytes = [0x60, ...vec(params.map((t) => [VALTYPE[t]])), ...vec(results.map((t) => [VALTYPE[t]]))];
    const key = bytes.join(',');
    let i = this.types.indexOf(key);
    if (i < 0) {
      i = this.types.length;
      this.types.push(key);
      this.typeBytes.push(bytes);
    }
    return i;
  }

  /**
   * Adds a function; `build` receives the scope (for locals) and the parameters and returns the
   * body. Returns the function index (for `ctl.call`). `name` exports it; null keeps it internal.
   */
  func(name: string | null, params: readonly ValType[], results: readonly ValType[], build: (scope: FunctionScope, ...p: Local[]) => Code): number {
    const scope = new FunctionScope(params);
    const body = build(scope, ...scope.params);
    this.funcs.push({ name, type: this.typeIndex(params, results), scope, body });
    return this.funcs.length - 1;
  }

  /** The module's bytes. */
  bytes(memory: MemoryImport): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const push = (xs: readonly number[]): void => {
      for (const x of xs) out.push(x);
    };
    const name = (n: string): number[] => [...uleb(n.length), ...utf8(n)];
    const sec = (id: number, body: readonly number[]): void => {
      out.push(id);
      push(uleb(body.length));
      push(body);
    };
    sec(1, vec(this.typeBytes));
    const limits = [memory.shared ? 0x03 : 0x01, ...uleb(memory.min), ...uleb(memory.max)];
    sec(2, vec([[...name(memory.module), ...name(memory.name), 0x02, ...limits]]));
    sec(3, vec(this.funcs.map((f) => uleb(f.type))));
    const exported = this.funcs.map((f, i) => [f, i] as const).filter(([f]) => f.name !== null);
    sec(7, vec(exported.map(([f, i]) => [...name(f.name!), 0x00, ...uleb(i)])));
    // The code section: built into one array (bodies are tens of kilobytes in all).
    const code: number[] = [];
    for (const x of uleb(this.funcs.length)) code.push(x);
    for (const f of this.funcs) {
      const body: number[] = f.scope.declaration();
      flatten(f.body, body);
      body.push(0x0b);
      for (const x of uleb(body.length)) code.push(x);
      for (const x of body) code.push(x);
    }
    sec(10, code);
    return Uint8Array.from(out);
  }
}
