/**
 * Gradcheck rows: the op test tables as data, so test/autodiff/op-registry.test.ts can check
 * that every differentiable op camlab exports has a row checked at orders 1, 2 and 3 (like
 * PyTorch's OpInfo database). A row names the ops it checks; its body receives them and must
 * call each inside a checkAllOrders at orders 1–3 (the runner counts the calls made then).
 */
import { describe, expect, it } from 'vitest';
import { inFullCheck } from './ad.js';

/** Any exported op (a function of tensors and options). */
export type Op = (...args: never[]) => unknown;

export interface GradRow {
  title: string;
  /** The exported ops this row gradchecks, by name (the functions themselves). */
  ops: Readonly<Record<string, Op>>;
  /** The checks; they get `ops` (spied on) and must gradcheck each at orders 1–3. */
  check(ops: Readonly<Record<string, Op>>): void;
}

/** The rows of one test file's gradcheck table, under one describe title. */
export interface GradTable {
  title: string;
  rows: readonly GradRow[];
}

/** A row: the ops it checks and the checks, written against the ops it is handed. */
export function row<O extends Readonly<Record<string, Op>>>(title: string, ops: O, check: (ops: O) => void): GradRow {
  return { title, ops, check: check as (ops: Readonly<Record<string, Op>>) => void };
}

/** Runs a table: one test per row, failing when a named op was not gradchecked at orders 1–3. */
export function runGradTable(table: GradTable): void {
  describe(table.title, () => {
    for (const r of table.rows) {
      it(r.title, () => {
        const seen = new Set<string>();
        const spied = Object.fromEntries(Object.entries(r.ops).map(([name, f]) => [name, (...args: never[]) => {
          if (inFullCheck()) seen.add(name);
          return f(...args);
        }]));
        r.check(spied);
        expect(Object.keys(r.ops).filter((n) => !seen.has(n)), 'ops this row names but did not gradcheck at orders 1, 2 and 3').toEqual([]);
      });
    }
  });
}
