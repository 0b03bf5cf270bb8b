import { ctl, f32, f32x4, f64, f64x2, forLoop, i32, v128, type Code, type ModuleBuilder } from './emit.js';
import type { Lanes } from './gemm-kernel.js';

const add = i32.add;
const mul = i32.mul;
const c32 = i32.const;

/** Binary element-wise ops with a wasm kernel; each lane computes exactly what the JS row kernel does. */
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq', 'ne'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

interface OpCode {
  /** The op on two v128 values. */
  vec: (a: Code, b: Code) => Code;
  /** The op on two scalars. */
  scalar: (a: Code, b: Code) => Code;
}

/**
 * Per dtype: IEEE add/sub/mul/div (the same roundings as JS: a float32 op computed in float64 and
 * rounded once is the correctly rounded float32 op); maximum/minimum propagate NaN (x > y or x is
 * NaN ? x : y, as elementwise.ts's max2/min2); comparisons give 1 or 0.
 */
function opCodes(dt: 'f32' | 'f64', sel: (t: Code, f: Code, c: Code) => Code, one: Code, oneScalar: Code, zeroScalar: Code): Record<BinaryOp, OpCode> {
  const V = dt === 'f32' ? f32x4 : f64x2;
  const S = dt === 'f32' ? f32 : f64;
  const mask = (cmp: (a: Code, b: Code) => Code) => (a: Code, b: Code): Code => v128.and(cmp(a, b), one);
  const smask = (cmp: (a: Code, b: Code) => Code) => (a: Code, b: Code): Code => ctl.select(oneScalar, zeroScalar, cmp(a, b));
  return {
    add: { vec: V.add, scalar: S.add },
    sub: { vec: V.sub, scalar: S.sub },
    mul: { vec: V.mul, scalar: S.mul },
    div: { vec: V.div, scalar: S.div },
    // The operands are local gets (evaluated twice each, no side effects).
    maximum: { vec: (a, b) => v128.bitselect(a, b, v128.or(V.gt(a, b), V.ne(a, a))), scalar: (a, b) => sel(a, b, i32.or(S.gt(a, b), S.ne(a, a))) },
    minimum: { vec: (a, b) => v128.bitselect(a, b, v128.or(V.lt(a, b), V.ne(a, a))), scalar: (a, b) => sel(a, b, i32.or(S.lt(a, b), S.ne(a, a))) },
    gt: { vec: mask(V.gt), scalar: smask(S.gt) },
    ge: { vec: mask(V.ge), scalar: smask(S.ge) },
    lt: { vec: mask(V.lt), scalar: smask(S.lt) },
    le: { vec: mask(V.le), scalar: smask(S.le) },
    eq: { vec: mask(V.eq), scalar: smask(S.eq) },
    ne: { vec: mask(V.ne), scalar: smask(S.ne) },
  };
}

/**
 * ew_<op>_<dt>(o, a, ars, acs, b, brs, bcs, rows, cols): o[r·cols + c] = a[r·ars + c·acs] op
 * b[r·brs + c·bcs] (element strides, byte pointers), the collapsed form of a NumPy broadcast.
 * Vector loops for column strides (1, 1), (1, 0) and (0, 1); scalar otherwise and for tails.
 * relu_<dt>(o, a, n): o = a > 0 or a is NaN ? a : +0 (elementwise relu of unary.ts).
 * copy_<dt>: a strided 2-D view made contiguous (below).
 */
export function emitElementwise(m: ModuleBuilder, L: Lanes): void {
  const dt = L.dt;
  const es = L.es;
  const lanes = L.lanes;
  const S = dt === 'f32' ? f32 : f64;
  const V = dt === 'f32' ? f32x4 : f64x2;
  const one = V.splat(S.const(1));
  const ops = opCodes(dt, ctl.select, one, S.const(1), S.const(0));
  for (const name of BINARY_OPS) {
    const op = ops[name];
    m.func(`ew_${name}_${dt}`, Array<'i32'>(9).fill('i32'), [], (s, o, a, ars, acs, b, brs, bcs, rows, cols) => {
      const r = s.local('i32');
      const c = s.local('i32');
      const pa = s.local('i32');
      const pb = s.local('i32');
      const po = s.local('i32');
      const vEnd = s.local('i32');
      const x = s.local('v128');
      const y = s.local('v128');
      const sx = s.local(dt);
      const sy = s.local(dt);
      const vecLoop = (load: Code, loadB: Code, stepA: number, stepB: number): Code =>
        forLoop(c, c32(0), vEnd.get, c32(lanes),
          x.set(load), y.set(loadB),
          v128.store(po.get, op.vec(x.get, y.get)),
          po.set(add(po.get, c32(16))),
          pa.set(add(pa.get, c32(stepA * 16))),
          pb.set(add(pb.get, c32(stepB * 16))),
        );
      const tail = (from: Code): Code =>
        forLoop(c, from, cols.get, c32(1),
          sx.set(S.load(pa.get)), sy.set(S.load(pb.get)),
          S.store(po.get, op.scalar(sx.get, sy.get)),
          po.set(add(po.get, c32(es))),
          pa.set(add(pa.get, i32.shl(acs.get, c32(L.shift)))),
          pb.set(add(pb.get, i32.shl(bcs.get, c32(L.shift)))),
        );
      return [
        vEnd.set(i32.and(cols.get, c32(~(lanes - 1)))),
        forLoop(r, c32(0), rows.get, c32(1),
          pa.set(add(a.get, i32.shl(mul(r.get, ars.get), c32(L.shift)))),
          pb.set(add(b.get, i32.shl(mul(r.get, brs.get), c32(L.shift)))),
          po.set(add(o.get, i32.shl(mul(r.get, cols.get), c32(L.shift)))),
          ctl.if(i32.and(i32.eq(acs.get, c32(1)), i32.eq(bcs.get, c32(1))),
            [vecLoop(v128.load(pa.get), v128.load(pb.get), 1, 1), tail(vEnd.get)],
            ctl.if(i32.and(i32.eq(acs.get, c32(1)), i32.eqz(bcs.get)),
              [vecLoop(v128.load(pa.get), V.splat(S.load(pb.get)), 1, 0), tail(vEnd.get)],
              ctl.if(i32.and(i32.eqz(acs.get), i32.eq(bcs.get, c32(1))),
                [vecLoop(V.splat(S.load(pa.get)), v128.load(pb.get), 0, 1), tail(vEnd.get)],
                tail(c32(0)),
              ),
            ),
          ),
        ),
      ];
    });
  }

  // copy_<dt>(o, a, ars, acs, rows, cols): o[r·cols + c] = a[r·ars + c·acs], a strided view made
  // contiguous (movement.ts's copyView: permutes, slices, broadcasts).
  m.func(`copy_${dt}`, Array<'i32'>(6).fill('i32'), [], (s, o, a, ars, acs, rows, cols) => {
    const [r, c, pa, vEnd] = s.i32s(4);
    const x = s.local('v128');
    const tail = (from: Code): Code =>
      forLoop(c, from, cols.get, c32(1),
        S.store(o.get, S.load(pa.get)),
        o.set(add(o.get, c32(es))),
        pa.set(add(pa.get, i32.shl(acs.get, c32(L.shift)))),
      );
    return [
      vEnd.set(i32.and(cols.get, c32(~(lanes - 1)))),
      forLoop(r, c32(0), rows.get, c32(1),
        pa.set(add(a.get, i32.shl(mul(r.get, ars.get), c32(L.shift)))),
        ctl.if(i32.eq(acs.get, c32(1)),
          [forLoop(c, c32(0), vEnd.get, c32(lanes), v128.store(o.get, v128.load(pa.get)), o.set(add(o.get, c32(16))), pa.set(add(pa.get, c32(16)))), tail(vEnd.get)],
          ctl.if(i32.eqz(acs.get),
            [x.set(V.splat(S.load(pa.get))), forLoop(c, c32(0), vEnd.get, c32(lanes), v128.store(o.get, x.get), o.set(add(o.get, c32(16)))), tail(vEnd.get)],
            tail(c32(0)),
          ),
        ),
      ),
    ];
  });

  m.func(`relu_${dt}`, ['i32', 'i32', 'i32'], [], (s, o, a, n) => {
    const i = s.local('i32');
    const vEnd = s.local('i32');
    const x = s.local('v128');
    const sx = s.local(dt);
    const zero = v128.zero();
    return [
      vEnd.set(i32.and(n.get, c32(~(lanes - 1)))),
      forLoop(i, c32(0), vEnd.get, c32(lanes),
        x.set(v128.load(a.get)),
        v128.store(o.get, v128.bitselect(x.get, zero, v128.or(V.gt(x.get, zero), V.ne(x.get, x.get)))),
        a.set(add(a.get, c32(16))),
        o.set(add(o.get, c32(16))),
      ),
      forLoop(i, vEnd.get, n.get, c32(1),
        sx.set(S.load(a.get)),
        S.store(o.get, ctl.select(sx.get, S.const(0), i32.or(S.gt(sx.get, S.const(0)), S.ne(sx.get, sx.get)))),
        a.set(add(a.get, c32(es))),
        o.set(add(o.get, c32(es))),
      ),
    ];
  });
}
