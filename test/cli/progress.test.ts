import { describe, expect, it } from 'vitest';
import { evalSecondsLeft, type EvalPlan } from '../../src/cli/eval-eta.js';
import { PLAIN_DELAY_MS, PLAIN_EVERY_MS, Progress, TTY_DELAY_MS } from '../../src/cli/progress.js';

/** A progress reporter writing into an array, on a clock the test moves. */
function reporter(isTTY: boolean): { progress: Progress; lines: string[]; at: (ms: number) => void } {
  let now = 0;
  const lines: string[] = [];
  return { progress: new Progress({ write: (s) => lines.push(s), isTTY }, () => now), lines, at: (ms) => (now = ms) };
}

describe('the progress reporter', () => {
  it('not a terminal: nothing for quick work, then a plain line now and then, with the time left from the work measured', () => {
    const { progress, lines, at } = reporter(false);
    const task = progress.task('explain a.png');
    at(PLAIN_DELAY_MS - 1);
    task.update(0.5, 'gradcam++');
    expect(lines).toEqual([]);
    at(4000);
    task.update(0.25, 'smooth-gradcam++ (noisy samples)');
    expect(lines).toEqual(['camlab explain a.png: smooth-gradcam++ (noisy samples), 25%, 4s so far, about 12s left\n']);
    at(4000 + PLAIN_EVERY_MS - 1);
    task.update(0.5);
    expect(lines).toHaveLength(1);
    at(4000 + PLAIN_EVERY_MS);
    task.update(0.8, undefined, 60);
    expect(lines[1]).toBe('camlab explain a.png, 80%, 14s so far, about 1m00s left\n');
    task.end();
    expect(lines).toHaveLength(2); // no terminal bar to clear
  });

  it('a terminal: a bar redrawn in place, cleared at the end', () => {
    const { progress, lines, at } = reporter(true);
    const task = progress.task('eval shapes');
    at(TTY_DELAY_MS - 1);
    task.update(0.1);
    expect(lines).toEqual([]);
    at(1000);
    task.update(0.5, '4/8 images');
    expect(lines).toEqual(['\r[############............] eval shapes: 4/8 images, 50%, 1s so far, about 1s left\x1b[K']);
    at(1200);
    task.update(0.6, 'method 1 of 2, gradcam++-exact (exact diagonals)', 30, 'gradcam++-exact');
    expect(lines[1]).toBe('\r[##############..........] eval shapes: method 1 of 2, gradcam++-exact (exact diagonals), 60%, 1s so far, about 30s left in gradcam++-exact\x1b[K');
    task.end();
    expect(lines[2]).toBe('\r\x1b[K');
  });

  it('no stream: nothing at all', () => {
    const task = new Progress(null, () => 1e9).task('x');
    expect(() => {
      task.update(0.5);
      task.end();
    }).not.toThrow();
  });
});

describe('eval\'s time left, per phase from measured work', () => {
  // 500 images, 2 methods; curves on the first 32, stability on the first 16; batches of 8.
  const plan: EvalPlan = { methods: ['a', 'b'], range: [0, 500], curveImages: 32, stabilityImages: 16, batchSize: 8 };
  const phase = (explain: number, curves: number, stability: number): { explain: number; confidence: number; curves: number; stability: number } => ({ explain, confidence: 0, curves, stability });

  it('after the expensive first 16 images it charges curves and stability only to the images that get them', () => {
    // Per image: explain 10 ms (a) and 20 ms (b); curves 100 ms; stability 50 ms; shared 8 ms per batch.
    const timing = { methods: { a: phase(16 * 10, 16 * 100, 16 * 50), b: phase(16 * 20, 16 * 100, 16 * 50) }, shared: 2 * 8 };
    const left = evalSecondsLeft(plan, { method: 'a', batch: [16, 24], timing })!;
    const expected = (484 * (10 + 20) + 16 * 100 * 2 + 0 + 61 * 8) / 1000; // 484 images to explain, 16 curve images left, no stability left, 61 batches
    expect(left).toBeCloseTo(expected, 9);
    // "elapsed × left / done" says 5.3 s for 16 images, so 160 s for 484 more: 9 times the 18 s the phases add up to.
    const naive = ((16 * (10 + 100 + 50) + 16 * (20 + 100 + 50) + 16) / 1000) * (484 / 16);
    expect(naive / left).toBeGreaterThan(4);
  });

  it('unknown while a method or a phase has not been measured yet', () => {
    const timing = { methods: { a: phase(0, 0, 0), b: phase(0, 0, 0) }, shared: 0 };
    expect(evalSecondsLeft(plan, { method: 'a', batch: [0, 8], timing })).toBeUndefined();
    const firstBatch = { methods: { a: phase(80, 800, 400), b: phase(0, 0, 0) }, shared: 8 };
    expect(evalSecondsLeft(plan, { method: 'b', batch: [0, 8], timing: firstBatch })).toBeUndefined();
  });
});
