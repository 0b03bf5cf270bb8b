"""Trains shapes-vit's architecture in PyTorch, to compare training recipes faster than camlab
trains them (docs/transformers.md §4). Data from scripts/dump-shapes.ts. Run with Debian's Python:
    npx tsx scripts/dump-shapes.ts 6 out/shapes-dump
    /usr/bin/python3 scripts/vit-recipe-search.py --data out/shapes-dump --stem 16/2,32/2,32/2,32/1,32/1,32/1 \\
        --epochs 24 --bs 128 --lr 0.004 --warmup 1 --wd 0.05 --threads 1 --tag B128
Each epoch takes 8 000 images from the pool (which repeats after its 48 000 by default), shuffled;
prints held-out accuracy overall and for 1 / 2 / 3 instances after every epoch.
"""
import argparse
import math
import os
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
from torchvision.models.vision_transformer import ConvStemConfig, VisionTransformer

p = argparse.ArgumentParser()
p.add_argument("--data", default="out/shapes-dump")
p.add_argument("--stem", default="16/2,32/2,32/2,32/1,32/1,32/1", help="channels/stride of each conv-BN-ReLU layer")
p.add_argument("--hidden", type=int, default=32)
p.add_argument("--mlp", type=int, default=64)
p.add_argument("--heads", type=int, default=2)
p.add_argument("--layers", type=int, default=2)
p.add_argument("--epochs", type=int, default=24)
p.add_argument("--bs", type=int, default=64)
p.add_argument("--lr", type=float, default=0.004)
p.add_argument("--warmup", type=float, default=0, help="epochs of linear warm-up")
p.add_argument("--wd", type=float, default=0, help="AdamW weight decay (0: Adam)")
p.add_argument("--per-epoch", type=int, default=8000)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--tag", default="run")
a = p.parse_args()

torch.manual_seed(a.seed)
torch.set_num_threads(a.threads)
d = lambda f: os.path.join(a.data, f)
X = np.fromfile(d("train_x.u8"), dtype=np.uint8).reshape(-1, 3, 64, 64)
Y = np.fromfile(d("train_y.u8"), dtype=np.uint8).astype(np.int64)
HX = torch.from_numpy(np.fromfile(d("held_x.f32"), dtype=np.float32).reshape(-1, 3, 64, 64))
HY = torch.from_numpy(np.fromfile(d("held_y.u8"), dtype=np.uint8).astype(np.int64))
HN = np.fromfile(d("held_n.u8"), dtype=np.uint8)

stem = [ConvStemConfig(out_channels=int(s.split("/")[0]), kernel_size=3, stride=int(s.split("/")[1])) for s in a.stem.split(",")]
m = VisionTransformer(image_size=64, patch_size=8, num_layers=a.layers, num_heads=a.heads, hidden_dim=a.hidden,
                      mlp_dim=a.mlp, num_classes=4, conv_stem_configs=stem)
print(a.tag, "params", sum(q.numel() for q in m.parameters()), flush=True)
opt = torch.optim.AdamW(m.parameters(), lr=a.lr, weight_decay=a.wd) if a.wd else torch.optim.Adam(m.parameters(), lr=a.lr)
steps = a.per_epoch // a.bs
total = steps * a.epochs
loss_fn = nn.CrossEntropyLoss()
norm = lambda x: (x - 0.5) / 0.25
rng = np.random.default_rng(a.seed)
step = 0
for ep in range(a.epochs):
    m.train()
    idx = ((ep * a.per_epoch) % len(X) + rng.permutation(a.per_epoch)) % len(X)
    loss_sum, hits = 0.0, 0
    for s in range(steps):
        b = idx[s * a.bs:(s + 1) * a.bs]
        x, y = norm(torch.from_numpy(X[b]).float() / 255), torch.from_numpy(Y[b])
        ramp = min(1.0, (step + 1) / (a.warmup * steps)) if a.warmup else 1.0
        for g in opt.param_groups:
            g["lr"] = a.lr * ramp * 0.5 * (1 + math.cos(math.pi * step / total))
        out = m(x)
        loss = loss_fn(out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        loss_sum += loss.item()
        hits += (out.argmax(1) == y).sum().item()
    m.eval()
    with torch.no_grad():
        pred = torch.cat([m(norm(HX[i:i + 500])).argmax(1) for i in range(0, len(HX), 500)])
    ok = (pred == HY).numpy()
    by_n = " / ".join(f"{ok[HN == k].mean() * 100:.1f}" for k in (1, 2, 3))
    print(f"{a.tag} epoch {ep + 1}: loss {loss_sum / steps:.4f}, train {hits / (steps * a.bs) * 100:.2f} %, "
          f"held-out {ok.mean() * 100:.2f} % (1 / 2 / 3 instances: {by_n})", flush=True)
wrong = ~torch.from_numpy(ok)
print(a.tag, "confusions (true, predicted): count", Counter((int(t), int(q)) for t, q in zip(HY[wrong], pred[wrong])).most_common(8))
