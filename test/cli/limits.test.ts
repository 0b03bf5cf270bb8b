import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIMITS, range, type LimitName } from '../../src/cli/limits.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the bounds of the command line', () => {
  it("the README's Limits table lists every bound of limits.ts", () => {
    const at = README.indexOf('### Limits');
    const table = README.slice(at, README.indexOf('\n## ', at)).split('\n').filter((l) => l.startsWith('| '));
    for (const name of Object.keys(LIMITS) as LimitName[]) {
      expect(table.some((row) => row.includes(`| ${range(name)}`)), `${name}: ${range(name)}`).toBe(true);
    }
    expect(table.length - 1, 'a row per bound, after the header').toBe(Object.keys(LIMITS).length);
  });
});
