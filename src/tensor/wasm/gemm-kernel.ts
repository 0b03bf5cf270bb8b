import { KC } from '../contract.js';
import { ctl, f32, f32x4, f64, f64x2, forLoop, i32, shuffle, v128, type Code, type FunctionScope, type Local, type ModuleBuilder } from './emit.js';

/** The element type a kernel computes in. */
export type WasmDType = 'f32' | 'f64';

/** Per-dtype instruction set: element size, lanes per v128, scalar and vector ops. */
export interface Lanes {
  dt: WasmDType;
  /** Bytes per element. */
  es: 4 | 8;
  /** log2(es), for byte offsets. */
  shift: 2 | 3;
  /** Elements per v128. */
  lanes: 4 | 2;
  load: (addr: Code, offset?: number) => Code;
  store: (addr: Code, v: Code, offset?: number) => Code;
  add: (a: Code, b: Code) => Code;
  mul: (a: Code, b: Code) => Code;
  zero: () => Code;
  gt: (a: Code, b: Code) => Code;
  ne: (a: Code, b: Code) => Code;
  eq: (a: Code, b: Code) => Code;
  vsplatLoad: (addr: Code, offset?: number) => Code;
  vadd: (a: Code, b: Code) => Code;
  vmul: (a: Code, b: Code) => Code;
  vsplat: (x: Code) => Code;
}

export const LANES: Record<WasmDType, Lanes> = {
  f32: {
    dt: 'f32', es: 4, shift: 2, lanes: 4,
    load: f32.load, store: f32.store, add: f32.add, mul: f32.mul, zero: () => f32.const(0), gt: f32.gt, ne: f32.ne, eq: f32.eq,
    vsplatLoad: v128.load32_splat, vadd: f32x4.add, vmul: f32x4.mul, vsplat: f32x4.splat,
  },
  f64: {
    dt: 'f64', es: 8, shift: 3, lanes: 2,
    load: f64.load, store: f64.store, add: f64.add, mul: f64.mul, zero: () => f64.const(0), gt: f64.gt, ne: f64.ne, eq: f64.eq,
    vsplatLoad: v128.load64_splat, vadd: f64x2.add, vmul: f64x2.mul, vsplat: f64x2.splat,
  },
};

/**
 * Register tile and cache blocks of one dtype's GEMM. MR rows × NR = NV·lanes columns of C are
 * held in MR·NV v128 accumulators; the k loop is unrolled UK times. MC/NC cap the packed A block
 * (MC×KC) and B block (KC×NC); both are multiples of MR / NR.
 */
export interface GemmTile {
  MR: number;
  NV: number;
  UK: number;
  MC: number;
  NC: number;
}

/** Largest K block: the summation contract's KC (../contract.ts). */
export const KC_MAX = KC;

const add = i32.add;
const mul = i32.mul;
const c32 = i32.const;

export interface GemmFunctions {
  /** kernel(kc, ap, bp, c, ldcBytes, accumulate): one MR×NR tile, C = (accumulate ? C : 0) + A·B. */
  kernel: number;
  /** packA(mc, kc, a, rsBytes, csBytes, dst): MR-row panels, zero-padded. */
  packA: number;
  /** packB(kc, nc, b, rsBytes, csBytes, dst): NR-column panels, zero-padded. */
  packB: number;
  /** tileOut(mr, nr, tile, c, ldcBytes, accumulate): copies the valid part of a tile buffer to C. */
  tileOut: number;
  /**
   * macro(mc, nc, kc, ap, bp, c, ldcBytes, accumulate, tile): every tile of the packed blocks,
   * edge tiles through the tile buffer.
   */
  macro: number;
  tile: GemmTile;
  NR: number;
}

/**
 * Emits the packed GEMM building blocks of one dtype. Summation order per C element: the k loop
 * ascends through the block, each lane of an accumulator is one C element's running sum starting
 * at +0, products and sums rounded in the dtype (no fused multiply-add); the block's sum is then
 * stored (C = s) or added (C = C + s). This is the order of the JS reference (../gemm.ts).
 */
export function emitGemmBlocks(m: ModuleBuilder, L: Lanes, tile: GemmTile): GemmFunctions {
  const { MR, NV, UK } = tile;
  const NR = NV * L.lanes;
  const es = L.es;

  // kernelOf(nv): the tile's first nv vectors of columns (B panels keep their NR-wide rows); nv = NV is
  // the full tile, the narrower ones serve a last panel of fewer than NR columns.
  const kernelOf = (nv: number): number => m.func(null, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (s, kc, ap, bp, c, ldc, accumulate) => {
    const acc: Local[][] = [];
    for (let r = 0; r < MR; r++) acc.push(Array.from({ length: nv }, () => s.local('v128')));
    const b = Array.from({ length: nv }, () => s.local('v128'));
    const a = s.local('v128');
    const kEnd = s.local('i32');
    const kUnrolled = s.local('i32');
    const step = (u: number): Code[] => {
      const code: Code[] = [];
      for (let v = 0; v < nv; v++) code.push(b[v]!.set(v128.load(bp.get, (u * NR + v * L.lanes) * es)));
      for (let r = 0; r < MR; r++) {
        code.push(a.set(L.vsplatLoad(ap.get, (u * MR + r) * es)));
        for (let v = 0; v < nv; v++) code.push(acc[r]![v]!.set(L.vadd(acc[r]![v]!.get, L.vmul(a.get, b[v]!.get))));
      }
      return code;
    };
    const advance = (u: number): Code => [ap.set(add(ap.get, c32(u * MR * es))), bp.set(add(bp.get, c32(u * NR * es)))];
    const stores: Code[] = [];
    for (let r = 0; r < MR; r++) {
      for (let v = 0; v < nv; v++) {
        const addr = r === 0 ? c.get : add(c.get, mul(ldc.get, c32(r)));
        const off = v * 16;
        stores.push(
          ctl.if(
            accumulate.get,
            v128.store(addr, L.vadd(v128.load(addr, off), acc[r]![v]!.get), off),
            v128.store(addr, acc[r]![v]!.get, off),
          ),
        );
      }
    }
    return [
      ...acc.flat().map((x) => x.set(v128.zero())),
      // Unrolled steps while at least UK remain, then single steps.
      kEnd.set(add(ap.get, mul(kc.get, c32(MR * es)))),
      kUnrolled.set(add(ap.get, mul(i32.and(kc.get, c32(~(UK - 1))), c32(MR * es)))),
      ctl.if(i32.lt_u(ap.get, kUnrolled.get), ctl.loop(...Array.from({ length: UK }, (_, u) => step(u)), advance(UK), ctl.br_if(0, i32.lt_u(ap.get, kUnrolled.get)))),
      ctl.if(i32.lt_u(ap.get, kEnd.get), ctl.loop(step(0), advance(1), ctl.br_if(0, i32.lt_u(ap.get, kEnd.get)))),
      stores,
    ];
  });

  const narrow = Array.from({ length: NV - 1 }, (_, i) => kernelOf(i + 1));
  const kernel = kernelOf(NV);

  // packA: dst[(p·kc + k)·MR + r] = A(p·MR + r, k); rows ≥ mc are zeros.
  const packA = m.func(null, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (s, mc, kc, a, rs, cs, dst) => {
    const p = s.local('i32');
    const k = s.local('i32');
    const r = s.local('i32');
    const src = s.local('i32');
    const rowBase = s.local('i32');
    const full = s.local('i32');
    const rem = s.local('i32');
    // Two contiguous rows: `lanes` k at a time, two vector loads interleaved into two stores.
    const inter = (half: 0 | 1): number[] => {
      const bytes: number[] = [];
      for (let i = 0; i < L.lanes; i++) {
        const lane = half * (L.lanes >> 1) + (i >> 1) + (i & 1) * L.lanes;
        for (let b = 0; b < es; b++) bytes.push(lane * es + b);
      }
      return bytes;
    };
    const kVec = s.local('i32');
    const v0 = s.local('v128');
    const v1 = s.local('v128');
    const pairPanel: Code = [
      kVec.set(i32.sub(kc.get, c32(L.lanes - 1))),
      forLoop(k, c32(0), kVec.get, c32(L.lanes),
        src.set(add(rowBase.get, i32.shl(k.get, c32(L.shift)))),
        v0.set(v128.load(src.get)),
        v1.set(v128.load(add(src.get, rs.get))),
        v128.store(dst.get, shuffle(v0.get, v1.get, inter(0))),
        v128.store(dst.get, shuffle(v0.get, v1.get, inter(1)), 16),
        dst.set(add(dst.get, c32(32))),
      ),
    ];
    const fullPanel: Code[] = [];
    for (let rr = 0; rr < MR; rr++) {
      fullPanel.push(L.store(dst.get, L.load(rr === 0 ? src.get : add(src.get, mul(rs.get, c32(rr)))), rr * es));
    }
    return [
      full.set(i32.div_u(mc.get, c32(MR))),
      rem.set(i32.sub(mc.get, mul(full.get, c32(MR)))),
      forLoop(p, c32(0), full.get, c32(1),
        rowBase.set(add(a.get, mul(mul(p.get, c32(MR)), rs.get))),
        k.set(c32(0)),
        MR === 2 ? ctl.if(i32.eq(cs.get, c32(es)), pairPanel) : [],
        forLoop(k, k.get, kc.get, c32(1),
          src.set(add(rowBase.get, mul(k.get, cs.get))),
          fullPanel,
          dst.set(add(dst.get, c32(MR * es))),
        ),
      ),
      ctl.if(i32.ne(rem.get, c32(0)), [
        rowBase.set(add(a.get, mul(mul(full.get, c32(MR)), rs.get))),
        forLoop(k, c32(0), kc.get, c32(1),
          src.set(add(rowBase.get, mul(k.get, cs.get))),
          forLoop(r, c32(0), rem.get, c32(1),
            L.store(add(dst.get, i32.shl(r.get, c32(L.shift))), L.load(add(src.get, mul(r.get, rs.get)))),
          ),
          forLoop(r, rem.get, c32(MR), c32(1), L.store(add(dst.get, i32.shl(r.get, c32(L.shift))), L.zero())),
          dst.set(add(dst.get, c32(MR * es))),
        ),
      ]),
    ];
  });

  // packB: dst[(q·kc + k)·NR + j] = B(k, q·NR + j); columns ≥ nc are zeros. Contiguous rows
  // (cs = es) copy NR elements with NV vector loads.
  const packB = m.func(null, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (s, kc, nc, b, rs, cs, dst) => {
    const q = s.local('i32');
    const k = s.local('i32');
    const j = s.local('i32');
    const src = s.local('i32');
    const colBase = s.local('i32');
    const full = s.local('i32');
    const rem = s.local('i32');
    const vecCopy: Code[] = [];
    for (let v = 0; v < NV; v++) vecCopy.push(v128.store(dst.get, v128.load(src.get, v * 16), v * 16));
    const scalarCopy: Code[] = [];
    for (let jj = 0; jj < NR; jj++) scalarCopy.push(L.store(dst.get, L.load(jj === 0 ? src.get : add(src.get, mul(cs.get, c32(jj)))), jj * es));
    return [
      full.set(i32.div_u(nc.get, c32(NR))),
      rem.set(i32.sub(nc.get, mul(full.get, c32(NR)))),
      forLoop(q, c32(0), full.get, c32(1),
        colBase.set(add(b.get, mul(mul(q.get, c32(NR)), cs.get))),
        ctl.if(i32.eq(cs.get, c32(es)),
          forLoop(k, c32(0), kc.get, c32(1),
            src.set(add(colBase.get, mul(k.get, rs.get))),
            vecCopy,
            dst.set(add(dst.get, c32(NR * es))),
          ),
          forLoop(k, c32(0), kc.get, c32(1),
            src.set(add(colBase.get, mul(k.get, rs.get))),
            scalarCopy,
            dst.set(add(dst.get, c32(NR * es))),
          ),
        ),
      ),
      ctl.if(i32.ne(rem.get, c32(0)), [
        colBase.set(add(b.get, mul(mul(full.get, c32(NR)), cs.get))),
        forLoop(k, c32(0), kc.get, c32(1),
          src.set(add(colBase.get, mul(k.get, rs.get))),
          forLoop(j, c32(0), rem.get, c32(1),
            L.store(add(dst.get, i32.shl(j.get, c32(L.shift))), L.load(add(src.get, mul(j.get, cs.get)))),
          ),
          forLoop(j, rem.get, c32(NR), c32(1), L.store(add(dst.get, i32.shl(j.get, c32(L.shift))), L.zero())),
          dst.set(add(dst.get, c32(NR * es))),
        ),
      ]),
    ];
  });

  const tileOut = m.func(null, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (s, mr, nr, t, c, ldc, accumulate) => {
    const r = s.local('i32');
    const j = s.local('i32');
    const src = s.local('i32');
    const dst = s.local('i32');
    return forLoop(r, c32(0), mr.get, c32(1),
      src.set(add(t.get, mul(r.get, c32(NR * es)))),
      dst.set(add(c.get, mul(r.get, ldc.get))),
      forLoop(j, c32(0), nr.get, c32(1),
        ctl.if(accumulate.get,
          L.store(dst.get, L.add(L.load(dst.get), L.load(src.get))),
          L.store(dst.get, L.load(src.get)),
        ),
        src.set(add(src.get, c32(es))),
        dst.set(add(dst.get, c32(es))),
      ),
    );
  });

  // An edge tile of nr columns (nr may exceed NR when only the rows are short): the narrowest kernel covering them.
  const edgeKernel = (nr: Code, args: Code[]): Code => {
    let code: Code = ctl.call(kernel, ...args);
    for (let nv = NV - 1; nv >= 1; nv--) code = ctl.if(i32.le_s(nr, c32(nv * L.lanes)), ctl.call(narrow[nv - 1]!, ...args), code);
    return code;
  };

  const macro = m.func(null, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (s, mc, nc, kc, ap, bp, c, ldc, accumulate, tbuf) => {
    const jr = s.local('i32');
    const ir = s.local('i32');
    const nr = s.local('i32');
    const mr = s.local('i32');
    const bpan = s.local('i32');
    const apan = s.local('i32');
    const cpos = s.local('i32');
    return forLoop(jr, c32(0), nc.get, c32(NR),
      nr.set(i32.sub(nc.get, jr.get)),
      bpan.set(add(bp.get, mul(jr.get, mul(kc.get, c32(es))))),
      forLoop(ir, c32(0), mc.get, c32(MR),
        mr.set(i32.sub(mc.get, ir.get)),
        apan.set(add(ap.get, mul(ir.get, mul(kc.get, c32(es))))),
        cpos.set(add(c.get, add(mul(ir.get, ldc.get), i32.shl(jr.get, c32(L.shift))))),
        ctl.if(i32.and(i32.ge_s(mr.get, c32(MR)), i32.ge_s(nr.get, c32(NR))),
          ctl.call(kernel, kc.get, apan.get, bpan.get, cpos.get, ldc.get, accumulate.get),
          [
            edgeKernel(nr.get, [kc.get, apan.get, bpan.get, tbuf.get, c32(NR * es), c32(0)]),
            ctl.call(tileOut, minI(s, mr.get, c32(MR)), minI(s, nr.get, c32(NR)), tbuf.get, cpos.get, ldc.get, accumulate.get),
          ],
        ),
      ),
    );
  });

  return { kernel, packA, packB, tileOut, macro, tile, NR };
}

/** min of two signed i32 expressions (each evaluated once). */
export function minI(s: FunctionScope, a: Code, b: Code): Code {
  const x = s.local('i32');
  const y = s.local('i32');
  return [x.set(a), y.set(b), ctl.select(x.get, y.get, i32.lt_s(x.get, y.get))];
}

/** max of two signed i32 expressions (each evaluated once). */
export function maxI(s: FunctionScope, a: Code, b: Code): Code {
  const x = s.local('i32');
  const y = s.local('i32');
  return [x.set(a), y.set(b), ctl.select(x.get, y.get, i32.gt_s(x.get, y.get))];
}

/**
 * gemm(M, N, K, a, aRs, aCs, b, bRs, bCs, c, ldc, accumulate, kcStep, scratch): C (M×N at c, row
 * stride ldc) = (accumulate ? C : 0) + A·B with every stride in elements and every pointer in bytes.
 * K is cut into blocks of kcStep (the last one shorter); C = s₁, then C = C + s₂, ... (or C + s₁ +
 * s₂ ... when accumulating). Scratch holds the packed A block, the packed B block and a tile.
 */
export function emitGemm(m: ModuleBuilder, name: string, L: Lanes, g: GemmFunctions): number {
  const { MC, NC } = g.tile;
  const es = L.es;
  return m.func(name, Array<'i32'>(14).fill('i32'), [], (s, M, N, K, a, aRs, aCs, b, bRs, bCs, c, ldc, accumulate, kcStep, scratch) => {
    const jc = s.local('i32');
    const pc = s.local('i32');
    const ic = s.local('i32');
    const nc = s.local('i32');
    const kc = s.local('i32');
    const mc = s.local('i32');
    const bpk = s.local('i32');
    const tbuf = s.local('i32');
    const ldcB = s.local('i32');
    const sh = c32(L.shift);
    return [
      bpk.set(add(scratch.get, c32(MC * KC_MAX * es))),
      tbuf.set(add(bpk.get, c32(KC_MAX * NC * es))),
      ldcB.set(i32.shl(ldc.get, sh)),
      forLoop(jc, c32(0), N.get, c32(NC),
        nc.set(minI(s, i32.sub(N.get, jc.get), c32(NC))),
        forLoop(pc, c32(0), K.get, kcStep.get,
          kc.set(minI(s, i32.sub(K.get, pc.get), kcStep.get)),
          ctl.call(g.packB, kc.get, nc.get,
            add(b.get, i32.shl(add(mul(pc.get, bRs.get), mul(jc.get, bCs.get)), sh)),
            i32.shl(bRs.get, sh), i32.shl(bCs.get, sh), bpk.get),
          forLoop(ic, c32(0), M.get, c32(MC),
            mc.set(minI(s, i32.sub(M.get, ic.get), c32(MC))),
            ctl.call(g.packA, mc.get, kc.get,
              add(a.get, i32.shl(add(mul(ic.get, aRs.get), mul(pc.get, aCs.get)), sh)),
              i32.shl(aRs.get, sh), i32.shl(aCs.get, sh), scratch.get),
            ctl.call(g.macro, mc.get, nc.get, kc.get, scratch.get, bpk.get,
              add(c.get, i32.shl(add(mul(ic.get, ldc.get), jc.get), sh)), ldcB.get,
              i32.or(accumulate.get, i32.ne(pc.get, c32(0))), tbuf.get),
          ),
        ),
      ),
    ];
  });
}
