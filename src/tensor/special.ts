import { detErf } from './detmath.js';

/**
 * erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, below 1 ulp: fdlibm's rational approximations ({@link detErf}),
 * IEEE-exact arithmetic and the deterministic exp only, so every runtime gives the same bits.
 * (camlab's first erf summed the Maclaurin series and a continued fraction, ~5x slower; GELU in
 * a ViT's training step called it a million times per batch.)
 */
export function erfScalar(x: number): number {
  return detErf(x);
}
