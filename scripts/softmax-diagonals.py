"""60-digit reference for scripts/softmax-diagonals.ts's output (exact Grad-CAM++, Y = softmax).

    npx tsx scripts/softmax-diagonals.ts > /tmp/sm.json && python3 scripts/softmax-diagonals.py /tmp/sm.json

Takes the float64 logits and Jacobian rows as exact, computes p = softmax(S) and, per element e with
u = the column of the Jacobian at e and l = log p_c: l' = u_c - E[u], l'' = -Var[u], l''' = -k3[u],
d2 = p_c (l'' + l'^2), d3 = p_c (l''' + 3 l' l'' + l'^3), and prints each route's largest error
relative to the largest reference entry. Needs mpmath.
"""
import json
import sys

import mpmath

mpmath.mp.dps = 60
data = json.load(open(sys.argv[1]))
c = data['target']
logits = [mpmath.mpf(x) for x in data['logits']]
top = max(logits)
e = [mpmath.exp(x - top) for x in logits]
p = [x / sum(e) for x in e]
print('1 - p_c =', mpmath.nstr(1 - p[c], 5))
J = data['jacobian']
ref2, ref3 = [], []
for i in range(len(J[0])):
    u = [mpmath.mpf(row[i]) for row in J]
    m = sum(pj * uj for pj, uj in zip(p, u))
    l1 = u[c] - m
    l2 = -sum(pj * (uj - m) ** 2 for pj, uj in zip(p, u))
    l3 = -sum(pj * (uj - m) ** 3 for pj, uj in zip(p, u))
    ref2.append(p[c] * (l2 + l1 ** 2))
    ref3.append(p[c] * (l3 + 3 * l1 * l2 + l1 ** 3))
for route in ('chainRule', 'passes'):
    for key, ref in (('d2', ref2), ('d3', ref3)):
        got = data[route][key]
        scale = max(abs(r) for r in ref)
        err = max(abs(mpmath.mpf(g) - r) for g, r in zip(got, ref)) / scale
        print(f'{route:9s} {key}: largest error / largest entry = {mpmath.nstr(err, 3)}')
