/**
 * The PyTorch module path of a node torch.onnx named: scopes `/layer4/layer4.1/relu_1/Relu` become
 * `layer4.1.relu_1` (the last part is the op). torch.onnx names a child of a Sequential or
 * ModuleList by its full dotted name (`/features/features.7/features.7.0/block`), any other child
 * by its attribute name, so a part that extends the previous one by `.index` contributes the index.
 */
export function modulePath(nodeName: string): string {
  const parts = nodeName.split('/').filter((p) => p !== '');
  parts.pop();
  const path: string[] = [];
  let previous = '';
  for (const p of parts) {
    path.push(previous !== '' && p.startsWith(`${previous}.`) ? p.slice(previous.length + 1) : p);
    previous = p;
  }
  return path.join('.');
}

/** Up to `k` names closest to `query`: containing it (or contained in it) first, then by edit distance. */
export function nearestNames(query: string, names: readonly string[], k: number): string[] {
  const q = query.toLowerCase();
  const scored = [...new Set(names)].map((n) => {
    const l = n.toLowerCase();
    const contains = l.includes(q) || q.includes(l) ? 0 : 1;
    return { n, score: contains * 1000 + editDistance(q, l) };
  });
  return scored.filter((s) => s.score < 1000 + Math.max(3, q.length / 2)).sort((a, b) => a.score - b.score || a.n.length - b.n.length).slice(0, k).map((s) => s.n);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}
