import fc from 'fast-check';
import { expect } from 'vitest';
import { CamlabError, type Tensor } from '../../src/tensor/index.js';

/** One fixed seed for every property in the suite: a failing case replays with the same run. */
export const SEED = 20261126;

/** fast-check parameters: seeded, with a bounded number of runs to keep the suite fast. */
export function runs(numRuns = 60): fc.Parameters<unknown> {
  return { seed: SEED, numRuns, endOnFailure: true };
}

/** Element-wise closeness with a combined absolute/relative tolerance; reports the worst index. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-12, rtol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (a === e) continue;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

export function expectTensorClose(actual: Tensor, expectedShape: readonly number[], expected: ArrayLike<number>, atol = 1e-12, rtol = 1e-12): void {
  expect([...actual.shape]).toEqual([...expectedShape]);
  expectClose(actual.data, expected, atol, rtol);
}

/** The message of the CamlabError that f throws (fails the test if f throws something else or nothing). */
export function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CamlabError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

/** Σ a_i·b_i (for adjoint identities ⟨g, A x⟩ = ⟨Aᵀ g, x⟩). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Σ |a_i·b_i|: the scale against which a dot product's rounding error is judged. */
export function absSum(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! * b[i]!);
  return s;
}
