/** The autodiff lessons in examples/ run as documented (`npx tsx examples/…`) and print what they promise. */
import { describe, expect, it } from 'vitest';
import { runExample } from '../support/examples.js';

describe('examples: autodiff lessons', () => {
  it('01-autodiff.ts: grad of grad of grad matches the hand-derived formulas', () => {
    const r = runExample('examples/01-autodiff.ts');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toContain('1. f(x) = x·exp(x): derivatives by autodiff vs by hand');
    // f'(0) = 1, f''(0) = 2, f'''(0) = 3 for x·eˣ, printed by autodiff and by hand.
    expect(out).toMatch(/0\.00 {3}f' +1\.000000000000 +1\.000000000000/);
    expect(out).toMatch(/0\.00 {3}f'' +2\.000000000000 +2\.000000000000/);
    expect(out).toMatch(/0\.00 {3}f''' +3\.000000000000 +3\.000000000000/);
    expect(out).toMatch(/largest relative difference to the hand-derived formulas on \[-2, 2\]: (\d\.\d\de-1[3-9]|0\.00e\+0)/);
    expect(out).toContain('2. tanh on a vector: three orders at once');
    expect(out).toContain("tanh''' autodiff [");
    expect(out).toContain('3. L(W) = sum(tanh(W·v)) for W of shape [2,3]');
    expect(out).toMatch(/dL\/dW autodiff {2}\[[^\]]+\] {2}\(shape \[2,3\]\)/);
    expect(out).toContain('All derivatives match the hand-derived formulas.');
    expect(out).not.toContain('MISMATCH');
  });

  it('02-gradcheck.ts: a custom op passes orders 1-3, and both buggy VJPs are caught with clear messages', () => {
    const r = runExample('examples/02-gradcheck.ts');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out.match(/^ {2}gradcheck +ok: +\d+ (full|random) comparisons/gm)?.length).toBe(3);
    expect(out.match(/^ {2}gradgradcheck +ok: +\d+ (full|random) comparisons/gm)?.length).toBe(2);
    expect(out.match(/^ {2}thirdOrderGradcheck +ok: +\d+ (full|random) comparisons/gm)?.length).toBe(2);
    expect(out).toContain('2. A VJP that forgets to multiply by g');
    expect(out).toMatch(/gradcheck: gradient mismatch at input 0 \[2,3\] element \[\d,\d\], output 0 \[2,3\] element \[\d,\d\]: analytic \S+ vs numeric \S+ \(\|error\| \S+ > tolerance \S+\)/);
    expect(out).toContain('3. A VJP that saves a detached copy of tanh(x): first order passes, second order fails');
    expect(out).toMatch(/gradgradcheck: order-2 derivative mismatch at input 0 \[2,3\]/);
    expect(out.match(/FAILED, as it should/g)?.length).toBe(2);
    expect(out).toContain('The correct op passes every order; both bugs were caught.');
  });
});
