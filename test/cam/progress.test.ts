import { describe, expect, it } from 'vitest';
import { explain } from '../../src/cam/methods.js';
import { progressLoop, withProgress, type ProgressEvent } from '../../src/cam/progress.js';
import { smoothGrad } from '../../src/cam/smooth.js';
import { zeros } from '../../src/tensor/create.js';
import { positive, smallCnn } from './helpers.js';

function seen(fn: () => unknown): ProgressEvent[] {
  const events: ProgressEvent[] = [];
  withProgress((e) => events.push(e), fn);
  return events;
}

describe('progress of the methods\' inner loops', () => {
  it('nested loops combine into one fraction that only grows and ends at 1', () => {
    const events = seen(() => {
      const outer = progressLoop('outer', 2);
      for (let i = 0; i < 2; i++) {
        const inner = progressLoop('inner', 4);
        for (let j = 0; j < 4; j++) inner.step();
        inner.end();
        outer.step();
      }
      outer.end();
    });
    expect(events.map((e) => e.fraction)).toEqual([0.125, 0.25, 0.375, 0.5, 0.5, 0.625, 0.75, 0.875, 1, 1]);
    expect(events[0]!.task).toBe('inner');
    expect(events[4]!.task).toBe('outer');
  });

  it('exact Grad-CAM++, Smooth Grad-CAM++ with exact moments and Score-CAM report their loops; without a sink nothing is kept', () => {
    const model = smallCnn(2);
    const x = positive([1, 3, 8, 8], 1);
    // (smallCnn's head is piecewise linear: 'passes' makes the exact diagonals loop over batches)
    for (const [method, opts, task] of [
      ['gradcam++-exact', { exact: { batchSize: 16, diagonals: 'passes' } }, 'exact diagonals'],
      ['smooth-gradcam++', { samples: 3, exact: { batchSize: 64, diagonals: 'passes' } }, 'exact diagonals'],
      ['scorecam', { batchSize: 2 }, 'masked inputs'],
      ['smoothgrad', { samples: 4 }, 'noisy samples'],
    ] as const) {
      const events = seen(() => explain(method, model, x, opts));
      expect(events.length, method).toBeGreaterThan(2);
      expect(events.map((e) => e.task), method).toContain(task);
      const f = events.map((e) => e.fraction);
      expect(f.every((v, i) => i === 0 || v >= f[i - 1]!), `${method} grows`).toBe(true);
      expect(f[f.length - 1], method).toBe(1);
    }
    expect(seen(() => explain('gradcam', model, x))).toEqual([]);
    expect(() => progressLoop('no sink', 3).step()).not.toThrow();
  });

  it('a sink that throws ends the call, and the next call starts with a clean slate', () => {
    const model = smallCnn(2);
    const x = positive([1, 3, 8, 8], 1);
    expect(() => withProgress(() => {
      throw new Error('stop');
    }, () => explain('smoothgrad', model, x, { samples: 3 }))).toThrow('stop');
    const events = seen(() => explain('smoothgrad', model, x, { samples: 2 }));
    expect(events.map((e) => e.fraction)).toEqual([0.5, 1]);
  });
});

describe('SmoothGrad refuses non-finite inputs, like every other method', () => {
  it('names the value and where it is', () => {
    const model = smallCnn(3);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = zeros([1, 3, 8, 8]);
      x.data[70] = bad;
      expect(() => smoothGrad(model, x, { samples: 2 })).toThrow(`smoothgrad: the input holds ${bad} at index 70 of [1,3,8,8]; SmoothGrad needs finite pixels`);
      expect(() => explain('gradcam', model, x)).toThrow(/not finite/);
    }
  });
});
