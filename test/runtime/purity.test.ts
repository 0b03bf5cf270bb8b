/**
 * The core (everything reachable from src/index.ts) must run unchanged in Node, Deno, Bun and
 * browsers: no `node:` or bare Node-builtin imports, no npm packages, and no Node-only or
 * DOM-only globals. The files are parsed with the TypeScript compiler, so comments, strings and
 * property names (`x.process`, `{ document: 1 }`) never count, and every hit names file:line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = resolve(ROOT, 'src', 'index.ts');

/** Globals that exist only in Node (or CommonJS), with what to use instead. */
const NODE_ONLY: Record<string, string> = {
  process: 'Node-only global',
  Buffer: 'Node-only global (use Uint8Array)',
  require: 'CommonJS require',
  __dirname: 'CommonJS __dirname',
  __filename: 'CommonJS __filename',
  global: 'Node-only global (use globalThis)',
  setImmediate: 'Node-only global',
  clearImmediate: 'Node-only global',
  NodeJS: 'Node type namespace',
};
/** Globals that exist only in browsers (window or worker scope). */
const DOM_ONLY = [
  'window', 'document', 'navigator', 'location', 'localStorage', 'sessionStorage', 'self', 'alert',
  'importScripts', 'XMLHttpRequest', 'Image', 'ImageData', 'ImageBitmap', 'createImageBitmap',
  'OffscreenCanvas', 'CanvasRenderingContext2D', 'HTMLElement', 'HTMLCanvasElement',
  'HTMLImageElement', 'requestAnimationFrame', 'Worker',
];
const FORBIDDEN = new Map<string, string>([...Object.entries(NODE_ONLY), ...DOM_ONLY.map((n): [string, string] => [n, 'DOM-only global'])]);
const GLOBAL_OBJECTS = new Set(['globalThis', 'window', 'self', 'global']);

interface Finding {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** Names a file declares itself (so a local `const process = …` is not the global). */
function declaredNames(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    const name = (node as { name?: ts.Node }).name;
    if (
      name !== undefined && ts.isIdentifier(name) &&
      (ts.isVariableDeclaration(node) || ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) ||
        ts.isParameter(node) || ts.isImportSpecifier(node) || ts.isImportClause(node) || ts.isNamespaceImport(node) ||
        ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isEnumDeclaration(node) ||
        ts.isBindingElement(node) || ts.isTypeParameterDeclaration(node))
    ) {
      names.add(name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return names;
}

/** Is this identifier a property name or a declaration name rather than a reference to a global? */
function isNotAReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return true;
  if (ts.isQualifiedName(p) && p.right === id) return true;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p) ||
    ts.isMethodSignature(p) || ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p) || ts.isEnumMember(p)) && p.name === id) return true;
  if ((ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) && p.propertyName === id) return true;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return true;
  return false;
}

/** Module specifiers a file imports or re-exports (static, dynamic and `import type`). */
function importsOf(sf: ts.SourceFile): Array<{ spec: string; node: ts.Node }> {
  const out: Array<{ spec: string; node: ts.Node }> = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ spec: node.moduleSpecifier.text, node });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = node.arguments[0];
      out.push({ spec: a !== undefined && ts.isStringLiteralLike(a) ? a.text : '<computed>', node });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push({ spec: node.argument.literal.text, node });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Checks one source text; returns its findings and the relative imports to follow. */
function checkSource(file: string, text: string): { findings: Finding[]; relativeImports: string[] } {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const at = (node: ts.Node, message: string): void => {
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    findings.push({ file, line: line + 1, column: character + 1, message });
  };
  const relativeImports: string[] = [];
  const builtins = new Set(builtinModules.flatMap((m) => [m, m.split('/')[0]!]));
  for (const { spec, node } of importsOf(sf)) {
    if (spec.startsWith('./') || spec.startsWith('../')) relativeImports.push(spec);
    else if (spec.startsWith('node:')) at(node, `imports '${spec}' (a node: module)`);
    else if (builtins.has(spec) || builtins.has(spec.split('/')[0]!)) at(node, `imports '${spec}' (a Node builtin)`);
    else if (spec === '<computed>') at(node, 'dynamic import of a computed specifier');
    else at(node, `imports the package '${spec}' (the core imports no packages)`);
  }
  const local = declaredNames(sf);
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && FORBIDDEN.has(node.text) && !local.has(node.text) && !isNotAReference(node)) {
      at(node, `uses '${node.text}' (${FORBIDDEN.get(node.text)!})`);
    } else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && GLOBAL_OBJECTS.has(node.expression.text) && FORBIDDEN.has(node.name.text)) {
      at(node, `uses '${node.expression.text}.${node.name.text}' (${FORBIDDEN.get(node.name.text)!})`);
    } else if (ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression) && GLOBAL_OBJECTS.has(node.expression.text) &&
      ts.isStringLiteralLike(node.argumentExpression) && FORBIDDEN.has(node.argumentExpression.text)) {
      at(node, `uses '${node.expression.text}['${node.argumentExpression.text}']' (${FORBIDDEN.get(node.argumentExpression.text)!})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { findings, relativeImports };
}

/** Every file reachable from the entry through relative imports, with all findings. */
function scanCore(entry: string): { files: string[]; findings: Finding[] } {
  const seen = new Set<string>();
  const queue = [entry];
  const findings: Finding[] = [];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const r = checkSource(relative(ROOT, file), readFileSync(file, 'utf8'));
    findings.push(...r.findings);
    for (const spec of r.relativeImports) {
      const target = resolve(dirname(file), spec);
      const candidates = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, resolve(target, 'index.ts')];
      const hit = candidates.find((c) => existsSync(c) && !c.endsWith('/'));
      if (hit === undefined) findings.push({ file: relative(ROOT, file), line: 0, column: 0, message: `cannot resolve '${spec}'` });
      else queue.push(hit);
    }
  }
  return { files: [...seen].map((f) => relative(ROOT, f)).sort(), findings };
}

const show = (fs: Finding[]): string => fs.map((f) => `${f.file}:${f.line}:${f.column}: ${f.message}`).join('\n');

describe('core purity', () => {
  it('the checker catches what it should and nothing else', () => {
    const bad = [
      "import { readFileSync } from 'node:fs';",
      "import path from 'path';",
      "export { PNG } from 'pngjs';",
      'const a = process.env.X;',
      'const b = Buffer.from([1]);',
      "const c = require('x');",
      'const d = __dirname;',
      'const e = document.body;',
      'const f = globalThis.process;',
      "const g = globalThis['Buffer'];",
      'let h: ImageData | undefined;',
      "const j = await import('./ok.js');",
    ].join('\n');
    const { findings, relativeImports } = checkSource('bad.ts', bad);
    expect(findings.map((f) => f.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(relativeImports).toEqual(['./ok.js']);
    const ok = [
      '// process.env and Buffer in a comment; document too',
      "const s = 'process Buffer window';",
      'const o = { process: 1, document: 2 };',
      'o.process = o.document;',
      'function f(self: number, window: number): number { return self + window; }',
      'class C { Buffer = 1; process(): void {} }',
    ].join('\n');
    expect(show(checkSource('ok.ts', ok).findings)).toBe('');
  });

  it('no file reachable from src/index.ts touches Node or the DOM', () => {
    const { files, findings } = scanCore(ENTRY);
    expect(files.length).toBeGreaterThan(20);
    expect(files).toContain('src/io/model.ts');
    expect(files).not.toContain('src/io/png.ts');
    expect(show(findings), `core purity violations:\n${show(findings)}`).toBe('');
  });
});
