import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as camlab from '../../src/index.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { tensor } from '../../src/tensor/create.js';
import { GRAD_TABLES, NOT_DIFFERENTIABLE } from './op-registry.js';

const OPS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'autodiff', 'ops');

/** Every function exported by a file of src/autodiff/ops that camlab's root export re-exports (by identity), by name. */
async function exportedOps(): Promise<Map<string, unknown>> {
  const root = new Set<unknown>(Object.values(camlab));
  const ops = new Map<string, unknown>();
  for (const file of readdirSync(OPS_DIR).filter((f) => f.endsWith('.ts')).sort()) {
    const mod = (await import(pathToFileURL(join(OPS_DIR, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === 'function' && root.has(value)) ops.set(name, value);
    }
  }
  return ops;
}

describe('the op registry: every differentiable op camlab exports has gradcheck rows at orders 1, 2 and 3', () => {
  it('each exported op is in a row of a test table, or listed as not differentiable with the reason', async () => {
    const ops = await exportedOps();
    expect(ops.size).toBeGreaterThan(50);
    const covered = new Set<unknown>(GRAD_TABLES.flatMap((t) => t.rows.flatMap((r) => Object.values(r.ops))));
    const exempt = new Set<unknown>(Object.values(NOT_DIFFERENTIABLE).map((n) => n.op));
    const missing = [...ops].filter(([, f]) => !covered.has(f) && !exempt.has(f)).map(([n]) => n);
    expect(missing, 'exported ops without a gradcheck row (add a row to test/autodiff/rows/*.ts) or a NOT_DIFFERENTIABLE entry').toEqual([]);
    const both = [...ops].filter(([, f]) => covered.has(f) && exempt.has(f)).map(([n]) => n);
    expect(both, 'ops both gradchecked and listed as not differentiable').toEqual([]);
  });

  it('rows and exemptions name ops camlab exports (no stale entries), each row under its own name', async () => {
    const ops = await exportedOps();
    const byFunction = new Map([...ops].map(([n, f]) => [f, n]));
    for (const t of GRAD_TABLES) {
      expect(t.rows.length, t.title).toBeGreaterThan(0);
      for (const r of t.rows) {
        expect(Object.keys(r.ops).length, `${t.title} › ${r.title}`).toBeGreaterThan(0);
        for (const [name, f] of Object.entries(r.ops)) expect(byFunction.get(f), `${t.title} › ${r.title}: ${name}`).toBe(name);
      }
    }
    for (const [name, n] of Object.entries(NOT_DIFFERENTIABLE)) {
      expect(byFunction.get(n.op), name).toBe(name);
      expect(n.reason.length, name).toBeGreaterThan(10);
    }
  });

  it('the ops listed as not differentiable return constants: no graph even from an input that requires grad', () => {
    for (const [name, n] of Object.entries(NOT_DIFFERENTIABLE)) {
      const out = n.probe(requiresGrad(tensor([-1.5, 0, 2])));
      expect(out.requiresGrad, name).toBe(false);
      expect(out.node, name).toBeNull();
    }
  });

  it('every table of the registry is run by an ops test file, and every table a test file runs is in the registry', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const registry = readFileSync(join(here, 'op-registry.ts'), 'utf8');
    const listed = /GRAD_TABLES[^=]*= \[([^\]]*)\]/.exec(registry)![1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
    expect(listed.length).toBe(GRAD_TABLES.length);
    const run = readdirSync(here).filter((f) => /^ops-.*\.test\.ts$/.test(f))
      .flatMap((f) => [...readFileSync(join(here, f), 'utf8').matchAll(/runGradTable\((\w+)\)/g)].map((m) => m[1]!));
    expect([...run].sort()).toEqual([...listed].sort());
    const titles = GRAD_TABLES.map((t) => t.title);
    expect(new Set(titles).size).toBe(titles.length);
  });
});
