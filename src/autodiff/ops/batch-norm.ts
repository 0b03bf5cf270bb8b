import * as KB from '../../tensor/batch-norm.js';
import * as KA from '../../tensor/channel-affine.js';
import * as KE from '../../tensor/elementwise.js';
import { fail, shapeStr } from '../../tensor/errors.js';
import * as KU from '../../tensor/unary.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isGradEnabled } from '../mode.js';
import { record } from '../node.js';
import { add, div, mul, sub } from './elementwise.js';
import { mean, sum } from './reduce.js';
import { sqrt, square } from './unary.js';

/**
 * Batch normalization with the batch's statistics (training), x [N, C, …], γ and β of shape
 * [1, C, 1, …]: y = (x − μ)·γ/√(σ² + eps) + β, μ and σ² (biased) per channel over every other
 * axis. Returns y (the bits of the composition mean, sub, square, mean, channelAffine) and the
 * statistics (constants, for the running averages). Its VJP, with σ = √(σ² + eps) and M the
 * values per channel:
 *   ∂β = Σ g,  ∂γ = Σ g·(x − μ)/σ,  ∂x = (γ/σ)·(g − Σg/M − (x − μ)·Σ g·(x − μ)/(M·σ²)),
 * computed in two passes when no graph is recorded (first order), and written in differentiable
 * ops of x, γ and g when it is (μ and σ² recomputed from the live x), so every order works.
 */
export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): { y: Tensor; mean: Tensor; variance: Tensor } {
  for (const [what, p] of [['weight', gamma], ['bias', beta]] as const) KA.checkChannelParam('batchNorm', what, x, p);
  if (!(eps > 0) || !Number.isFinite(eps)) fail('batchNorm', `eps must be a positive number, got ${eps} (input ${shapeStr(x.shape)})`);
  const { mean: mu, variance } = KB.batchNormStats(x);
  const sigma2 = KE.add(variance, eps);
  const y = KA.channelAffine(x, mu, KE.div(gamma, KU.sqrt(sigma2)), beta);
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const M = x.size / x.shape[1]!;
  const out = record('batchNorm', y, [x, gamma, beta], (g, needs) => {
    if (!isGradEnabled()) {
      const { dx, dgamma, dbeta } = KB.batchNormBackward(g, x, mu, gamma, sigma2);
      return [needs[0] ? dx : null, needs[1] ? dgamma : null, needs[2] ? dbeta : null];
    }
    const keep = { keepdims: true };
    const xc = sub(x, mean(x, axes, keep));
    const s2 = add(mean(square(xc), axes, keep), eps);
    const sigma = sqrt(s2);
    const gs = sum(g, axes, keep);
    const gxc = needs[0] || needs[1] ? sum(mul(g, xc), axes, keep) : null;
    return [
      needs[0] ? mul(div(gamma, sigma), sub(sub(g, div(gs, M)), mul(xc, div(gxc!, mul(s2, M))))) : null,
      needs[1] ? div(gxc!, sigma) : null,
      needs[2] ? gs : null,
    ];
  });
  return { y: out, mean: mu, variance };
}
