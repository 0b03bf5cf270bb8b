/**
 * Lesson 2: writing your own differentiable op, and checking it to the third order.
 *
 * Run with:  npx tsx examples/02-gradcheck.ts
 *
 * An op is a forward computation (any code you like, on plain typed arrays) plus a VJP: given the
 * gradient g of the output, the gradient of the input. `record(name, output, inputs, vjp)` attaches
 * the VJP to the output. The one rule that makes higher orders work: write the VJP with camlab's
 * differentiable ops, on the live input/output tensors. Then the backward pass is itself a graph,
 * and grad-of-grad just works.
 *
 * gradcheck compares the VJP with central finite differences; gradgradcheck and thirdOrderGradcheck
 * do the same for the gradient function and the gradient of the gradient function (they finite-
 * difference the exact lower-order derivative, never a finite difference of a finite difference).
 */
import {
  detach, gradcheck, GradcheckError, gradgradcheck, mul, randn, record, Tensor, tanh, thirdOrderGradcheck,
  type GradcheckReport,
} from '../src/index.js';

// ------------------------------------------------------------------------------------------------
// The op: logCosh(x) = log(cosh(x)), element-wise. Its derivative is tanh(x).
//
// Forward: a plain loop, in the overflow-free form |x| + log(1 + e^(−2|x|)) − log 2.
function logCoshValues(x: Tensor): Tensor {
  const out = new Float64Array(x.size);
  for (let i = 0; i < x.size; i++) {
    const a = Math.abs(x.data[i]!);
    out[i] = a + Math.log1p(Math.exp(-2 * a)) - Math.LN2;
  }
  return new Tensor(out, x.shape);
}

/** Correct: ∂ = g·tanh(x), written with differentiable ops on the live input x. */
function logCosh(x: Tensor): Tensor {
  return record('logCosh', logCoshValues(x), [x], (g) => [mul(g, tanh(x))]);
}

/** A bug: the chain rule factor g is forgotten. */
function logCoshForgotG(x: Tensor): Tensor {
  return record('logCoshForgotG', logCoshValues(x), [x], () => [tanh(x)]);
}

/**
 * A subtler bug (tensorflow/tfjs#3252): tanh(x) saved as a detached copy. The first derivative is
 * right, but the backward graph no longer knows that tanh(x) depends on x, so every higher
 * derivative is wrong (d/dx of the gradient misses the 1 − tanh² term).
 */
function logCoshDetached(x: Tensor): Tensor {
  const saved = detach(tanh(x));
  return record('logCoshDetached', logCoshValues(x), [x], (g) => [mul(g, saved)]);
}

const show = (name: string, r: GradcheckReport): void => {
  console.log(`${name.padEnd(22)} ok: ${String(r.checks).padStart(3)} ${r.mode} comparisons, max |error| ${r.maxAbsError.toExponential(2)}, max rel error ${r.maxRelError.toExponential(2)}`);
};

/** Runs a check, printing the report or the error message; returns whether it passed. */
function attempt(name: string, check: () => GradcheckReport): boolean {
  try {
    show(name, check());
    return true;
  } catch (e) {
    if (!(e instanceof GradcheckError)) throw e;
    console.log(`${name.padEnd(22)} FAILED, as it should:`);
    console.log(`    ${e.message}`);
    return false;
  }
}

// Inputs must be float64: finite differences in float32 are too noisy to check anything.
const small = randn([2, 3], { rng: 1 }); // 6 elements: full Jacobians
const large = randn([4, 5, 6], { rng: 2 }); // 120 elements: random projections vᵀJu

console.log('1. The correct op, checked to the third order');
let ok = true;
for (const [label, x] of [['[2,3] (full)', small], ['[4,5,6] (random)', large]] as const) {
  console.log(`  input ${label}`);
  ok = attempt('  gradcheck', () => gradcheck(logCosh, [x])) && ok;
  ok = attempt('  gradgradcheck', () => gradgradcheck(logCosh, [x])) && ok;
  ok = attempt('  thirdOrderGradcheck', () => thirdOrderGradcheck(logCosh, [x])) && ok;
}

console.log('\n2. A VJP that forgets to multiply by g');
const caught1 = !attempt('  gradcheck', () => gradcheck(logCoshForgotG, [small]));

console.log('\n3. A VJP that saves a detached copy of tanh(x): first order passes, second order fails');
const first = attempt('  gradcheck', () => gradcheck(logCoshDetached, [small]));
const caught2 = !attempt('  gradgradcheck', () => gradgradcheck(logCoshDetached, [small]));

if (ok && caught1 && first && caught2) {
  console.log('\nThe correct op passes every order; both bugs were caught.');
} else {
  console.log('\nUNEXPECTED: a check did not behave as described above');
  process.exitCode = 1;
}
