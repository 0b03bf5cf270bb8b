"""Markdown tables for docs/transformers.md §5 from a `camlab eval` results.csv: every metric per
method, by instance count, and paired differences between methods on the same images (mean ±
standard error; bold beyond 2.5 standard errors). Plain Python, no packages:
    python3 scripts/eval-tables.py out/eval-shapes-vit/results.csv
"""
import csv
import math
import sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1])))
methods = list(dict.fromkeys(r["method"] for r in rows))
by = defaultdict(dict)
for r in rows:
    by[r["method"]][int(r["image"])] = r


def num(r, k):
    v = r.get(k, "")
    return None if v in ("", "NaN", "nan") else float(v)


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else float("nan")


def cov(rs, t):
    inst = sum(int(r["instances"]) for r in rs)
    return 100 * sum(num(r, f"covered_{t}") for r in rs) / inst


def overall(m, rs):
    return (f"| `{m}` | {mean(num(r, 'drop') for r in rs):.2f} | {100 * mean(num(r, 'increase') for r in rs):.1f} | "
            f"{mean(num(r, 'deletion_auc') for r in rs):.4f} | {mean(num(r, 'insertion_auc') for r in rs):.4f} | "
            f"{mean(num(r, 'energy') for r in rs):.3f} | {100 * mean(num(r, 'pointing') for r in rs):.1f} | "
            f"{cov(rs, '0.25'):.1f} / {cov(rs, '0.5'):.1f} / {cov(rs, '0.75'):.1f} | {mean(num(r, 'total_variation') for r in rs):.4f} | "
            f"{mean(num(r, 'stability') for r in rs):.3f} | {sum(int(r['flat']) for r in rs)} |")


print("| method | Avg Drop % ↓ | Incr. Conf. % ↑ | Deletion AUC ↓ | Insertion AUC ↑ | Energy ↑ | Pointing % ↑ | Coverage % t=0.25 / 0.5 / 0.75 ↑ | TV ↓ | Stability ↑ | flat |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for m in methods:
    print(overall(m, list(by[m].values())))
print()
print("| method | Avg Drop % ↓ | Coverage % t=0.5 ↑ | Coverage % t=0.75 ↑ | Pointing % ↑ | Energy ↑ |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for m in methods:
    parts = [[r for r in by[m].values() if int(r["instances"]) == k] for k in (1, 2, 3)]
    f = lambda fn, fmt: " / ".join(fmt.format(fn(p)) for p in parts)
    print(f"| `{m}` | {f(lambda p: mean(num(r, 'drop') for r in p), '{:.1f}')} | {f(lambda p: cov(p, '0.5'), '{:.1f}')} | "
          f"{f(lambda p: cov(p, '0.75'), '{:.1f}')} | {f(lambda p: 100 * mean(num(r, 'pointing') for r in p), '{:.1f}')} | "
          f"{f(lambda p: mean(num(r, 'energy') for r in p), '{:.3f}')} |")
print()

PAIRS = [
    ("smooth − plain attention rollout", "smooth-attention-rollout", "attention-rollout"),
    ("smooth − plain gradient rollout", "smooth-gradient-rollout", "gradient-rollout"),
    ("smooth − plain Grad-CAM++ rollout", "smooth-gradcam++-rollout", "gradcam++-rollout"),
    ("Grad-CAM++ rollout − gradient rollout", "gradcam++-rollout", "gradient-rollout"),
    ("gradient − attention rollout", "gradient-rollout", "attention-rollout"),
    ("smooth Grad-CAM++ − Grad-CAM++ (token grid)", "smooth-gradcam++", "gradcam++"),
    ("Grad-CAM++ − Grad-CAM (token grid)", "gradcam++", "gradcam"),
    ("exact − closed-form Grad-CAM++ rollout", "gradcam++-rollout-exact", "gradcam++-rollout"),
    ("exact − closed-form Grad-CAM++ (token grid)", "gradcam++-exact", "gradcam++"),
]
COLS = [("drop", 1, "{:+.2f}"), ("deletion_auc", 1, "{:+.3f}"), ("insertion_auc", 1, "{:+.3f}"), ("energy", 1, "{:+.3f}"),
        ("pointing", 100, "{:+.1f}"), ("covered_0.5", 1, "{:+.2f}"), ("stability", 1, "{:+.3f}")]
print("| comparison | Avg Drop | deletion AUC | insertion AUC | energy | pointing | coverage t=0.5 | stability |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for label, a, b in PAIRS:
    if a not in by or b not in by:
        continue
    cells = []
    for key, scale, fmt in COLS:
        d = [scale * (num(by[a][i], key) - num(by[b][i], key)) for i in by[a] if i in by[b] and num(by[a][i], key) is not None and num(by[b][i], key) is not None]
        n = len(d)
        mu = sum(d) / n
        se = math.sqrt(sum((x - mu) ** 2 for x in d) / (n - 1) / n) if n > 1 else float("nan")
        text = f"{fmt.format(mu)} ± {fmt.format(se).lstrip('+')}".replace("-", "−")
        cells.append(f"**{text}**" if se > 0 and abs(mu) > 2.5 * se else text)
    print(f"| {label} | " + " | ".join(cells) + " |")
