/** The CAM lessons in examples/ run as documented (`npx tsx examples/…`) and print what they promise. */
import { describe, expect, it } from 'vitest';
import { runExample } from '../support/examples.js';

describe('examples: CAM lessons', () => {
  it('03-grad-cam-by-hand.ts: the hand-computed map equals gradCam()', () => {
    const r = runExample('examples/03-grad-cam-by-hand.ts');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/layer features\.14: A has 32 channels of 8x8; predicted class triangle/);
    expect(r.stdout).toMatch(/by hand vs gradCam\(\): largest difference in the map = 0\n/);
  });

  it('04-grad-cam-plus-plus-terms.ts: α = 1/(2 + g·ΣA) on the GAP head, and the presets', () => {
    const r = runExample('examples/04-grad-cam-plus-plus-terms.ts');
    expect(r.status).toBe(0);
    const m = /channel \d+: α = ([\d.]+), 1\/\(2 \+ g·ΣA\) = ([\d.]+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(m![2]);
    expect(r.stdout).toMatch(/preset torchcam\s+largest difference/);
  });

  it('05-exact-vs-closed-form.ts: exact equals closed form with Y = exp on piecewise-linear heads only', () => {
    const r = runExample('examples/05-exact-vs-closed-form.ts');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/shapes-cnn \(ReLU, GAP head\)\s+Y=exp\s+∂²:\s+0\.0000\s+∂³:\s+0\.0000\s+α:\s+0\.0000/);
    expect(r.stdout).toMatch(/conv-ReLU-pool-conv head\s+Y=exp\s+∂²:\s+0\.0000\s+∂³:\s+0\.0000\s+α:\s+0\.0000/);
    expect(r.stdout).toMatch(/the same by batched passes\s+Y=exp\s+∂²:\s+\d\.\d\de-1[5-7]/);
    expect(r.stdout).toMatch(/conv-ReLU-pool-conv head\s+Y=raw .*\(flat\)/);
    expect(r.stdout).toMatch(/conv-tanh-pool-conv head\s+Y=exp\s+∂²:\s+\d+\.\d+/);
  });

  it('06-smooth-grad-cam-plus-plus.ts: identical at the GAP layer, different one block earlier, reproducible', () => {
    const r = runExample('examples/06-smooth-grad-cam-plus-plus.ts');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/last layer \(features\.14\): largest difference from Grad-CAM\+\+ = (0\.0000|\d\.\d\de-1[5-7])/);
    expect(r.stdout).toMatch(/layer features\.10, n = 25: max \|map − Grad-CAM\+\+ map\| = 0\.[1-9]/);
    expect(r.stdout).toContain('same seed, same map: true');
    expect(r.stdout).toMatch(/explaining only channels [\d, ]+: 3 non-zero weights/);
  });

  it('07-attention.ts: rollout and gradient rollout by hand equal the library; exact vs closed-form α on attention', () => {
    const r = runExample('examples/07-attention.ts', 240_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/2 blocks, \d head\(s\), S = 65 tokens; predicted triangle/);
    expect(r.stdout).toMatch(/attention rollout by hand vs attentionRollout\(\): largest difference = (0\.0000|\d\.\d\de-1[3-7])\n/);
    expect(r.stdout).toMatch(/gradient rollout by hand vs gradientRollout\(\): largest difference = (0\.0000|\d\.\d\de-1[3-7])\n/);
    expect(r.stdout).toMatch(/block 0: α where g > 0, closed form [\d.e-]+\.\.[\d.e-]+ .*exact/);
    // Softmax is not piecewise linear: the exact α differs from the closed form, so the maps do.
    const m = /exact vs closed-form Grad-CAM\+\+ rollout: largest difference of the normalized maps = ([\d.e-]+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(1e-6);
  }, 240_000); // the lesson's exact α takes ~30 s alone, over a minute on a busy machine
});
