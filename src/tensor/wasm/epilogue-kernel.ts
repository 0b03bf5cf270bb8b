import { EPILOGUE_AFFINE, EPILOGUE_BIAS, EPILOGUE_RELU, EPILOGUE_RESIDUAL } from '../conv-epilogue.js';
import { ctl, f32, f32x4, f64, f64x2, forLoop, i32, v128, type Code, type Local, type ModuleBuilder } from './emit.js';
import type { Lanes } from './gemm-kernel.js';

const add = i32.add;
const mul = i32.mul;
const c32 = i32.const;

/**
 * epi_<dt>_<flags>(o, p0, p1, O, plane, bias, mean, scale, shift, res): conv-epilogue.ts's
 * epilogue in place on the planes p0 … p1−1 of o [·, O, plane] (channel p mod O): + bias[c],
 * (· − mean[c])·scale[c] + shift[c], + res[i], relu, each step rounded to the dtype as the JS
 * ops do. One function per combination of steps (`flags`), so the loops hold only their steps.
 */
export function emitEpilogues(m: ModuleBuilder, L: Lanes): void {
  for (let flags = 1; flags < 16; flags++) emitEpilogue(m, L, flags);
}

function emitEpilogue(m: ModuleBuilder, L: Lanes, flags: number): void {
  const dt = L.dt;
  const es = L.es;
  const S = dt === 'f32' ? f32 : f64;
  const V = dt === 'f32' ? f32x4 : f64x2;
  const has = (f: number): boolean => (flags & f) !== 0;
  m.func(`epi_${dt}_${flags}`, Array<'i32'>(10).fill('i32'), [], (s, o, p0, p1, O, plane, bias, mean, scale, shift, res) => {
    const [p, i, c, po, pr, vEnd] = s.i32s(6);
    const x = s.local('v128');
    const [vb, vm, vs, vt] = [s.local('v128'), s.local('v128'), s.local('v128'), s.local('v128')];
    const sx = s.local(dt);
    const [sb, sm, ss, st] = [s.local(dt), s.local(dt), s.local(dt), s.local(dt)];
    const at = (base: Local): Code => add(base.get, i32.shl(c.get, c32(L.shift)));
    // The steps on a vector x (or a scalar sx), with the residual read at pr; relu as unary.ts:
    // the value where it is > 0 or NaN, else +0.
    const steps = (val: Local, ops: typeof V | typeof S, b: Local, mm: Local, sc: Local, t: Local, loadRes: Code, relu: Code): Code[] => [
      has(EPILOGUE_BIAS) ? val.set(ops.add(val.get, b.get)) : [],
      has(EPILOGUE_AFFINE) ? val.set(ops.add(ops.mul(ops.sub(val.get, mm.get), sc.get), t.get)) : [],
      has(EPILOGUE_RESIDUAL) ? val.set(ops.add(val.get, loadRes)) : [],
      has(EPILOGUE_RELU) ? val.set(relu) : [],
    ];
    const vecSteps = steps(x, V, vb, vm, vs, vt, v128.load(pr.get), v128.bitselect(x.get, v128.zero(), v128.or(V.gt(x.get, v128.zero()), V.ne(x.get, x.get))));
    const scalarSteps = steps(sx, S, sb, sm, ss, st, S.load(pr.get), ctl.select(sx.get, S.const(0), i32.or(S.gt(sx.get, S.const(0)), S.ne(sx.get, sx.get))));
    return [
      vEnd.set(i32.and(plane.get, c32(~(L.lanes - 1)))),
      forLoop(p, p0.get, p1.get, c32(1),
        c.set(i32.rem_u(p.get, O.get)),
        has(EPILOGUE_BIAS) ? [sb.set(S.load(at(bias))), vb.set(V.splat(sb.get))] : [],
        has(EPILOGUE_AFFINE)
          ? [sm.set(S.load(at(mean))), ss.set(S.load(at(scale))), st.set(S.load(at(shift))), vm.set(V.splat(sm.get)), vs.set(V.splat(ss.get)), vt.set(V.splat(st.get))]
          : [],
        po.set(add(o.get, i32.shl(mul(p.get, plane.get), c32(L.shift)))),
        pr.set(add(res.get, i32.shl(mul(p.get, plane.get), c32(L.shift)))),
        forLoop(i, c32(0), vEnd.get, c32(L.lanes),
          x.set(v128.load(po.get)),
          vecSteps,
          v128.store(po.get, x.get),
          po.set(add(po.get, c32(16))),
          pr.set(add(pr.get, c32(16))),
        ),
        forLoop(i, vEnd.get, plane.get, c32(1),
          sx.set(S.load(po.get)),
          scalarSteps,
          S.store(po.get, sx.get),
          po.set(add(po.get, c32(es))),
          pr.set(add(pr.get, c32(es))),
        ),
      ),
    ];
  });
}
