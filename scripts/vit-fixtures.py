"""Writes the PyTorch reference fixtures of the ViT and rollout tests to test/fixtures/vit/.

Run with Debian's Python (torch 1.13, torchvision 0.14, numpy; no safetensors package needed):
    /usr/bin/python3 scripts/vit-fixtures.py
CI does not run this; the generated files are committed and the tests only read them.

A tiny torchvision VisionTransformer (image 16, patch 4, 2 layers, 2 heads, hidden 16, mlp 32,
3 classes) with seeded float64 weights, and two input images. Files:

  vit-tiny.safetensors     model.state_dict(), keys unchanged (what camlab must load as is)
  vit-tiny.io.safetensors  x [2,3,16,16]; logits; grad_x = ∂S/∂x with S = Σ_n logits[n, c_n];
                           per block i: attn_i [2,2,17,17] (the block's MultiheadAttention called
                           with need_weights=True, average_attn_weights=False), grad_attn_i = ∂S/∂attn_i,
                           grad_ln1_i = ∂S/∂(ln_1 output), d2_i, d3_i = the diagonals ∂²Y/∂attn², ∂³Y/∂attn³
                           of Y = Σ_n exp(S_n − S_n(clean)), element by element;
                           rollout matrices R [2,17,17] of attention rollout (several fusions and
                           discard ratios), gradient rollout and Grad-CAM++ rollout (closed, exact).
                           The metadata holds the config, the classes c_n and the rollout options.
  vit-stem.safetensors     a ViT with a convolutional stem (torchvision's conv_stem_configs: conv-BN-ReLU
                           layers with strides 1, 2, 2, then a 1x1 conv; image 16, patch 4, 2 layers),
                           seeded weights and batch-norm statistics, eval mode
  vit-stem.io.safetensors  x [2,3,16,16]; logits; grad_x = ∂S/∂x with S = Σ_n logits[n, c_n]
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F
from torchvision.models.vision_transformer import ConvStemConfig, VisionTransformer

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "vit")
os.makedirs(OUT, exist_ok=True)

CONFIG = dict(image_size=16, patch_size=4, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=3)
CLASSES = [1, 2]  # explained class of image 0 and image 1


def save_safetensors(tensors, path, metadata=None):
    """The safetensors format by hand: u64 header length, JSON header, raw little-endian F64 data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().to(torch.float64).numpy().astype("<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data section starts 8-byte aligned, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------------------------------------
# The model, with every parameter seeded and non-trivial (torchvision zeroes the head and the
# class token at init, which would make every gradient vanish).

torch.manual_seed(0)
gen = torch.Generator().manual_seed(2024)
model = VisionTransformer(**CONFIG)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "encoder.ln.weight":
            p.copy_(1 + 0.3 * torch.randn(p.shape, generator=gen))
        elif name in ("class_token", "encoder.pos_embedding"):
            p.copy_(0.5 * torch.randn(p.shape, generator=gen))
        elif p.dim() == 1:
            p.copy_(0.2 * torch.randn(p.shape, generator=gen))
        else:
            fan_in = p[0].numel()
            p.copy_(1.5 * torch.randn(p.shape, generator=gen) / math.sqrt(fan_in))
model.eval()
save_safetensors(dict(model.state_dict()), os.path.join(OUT, "vit-tiny.safetensors"), {"config": json.dumps(CONFIG)})

x = torch.randn(2, 3, 16, 16, generator=gen).requires_grad_(True)
n = x.shape[0]
heads = CONFIG["num_heads"]
dim = CONFIG["hidden_dim"]
blocks = list(model.encoder.layers)


def score(logits):
    return sum(logits[i, c] for i, c in enumerate(CLASSES))


# ---------------------------------------------------------------------------------------------
# 1. torchvision's own forward: logits, ∂S/∂x, ∂S/∂(ln_1 output), and each block's attention from
#    its MultiheadAttention with need_weights=True.

ln1_out, attn_mha = [], []
for blk in blocks:
    def hook(m, inp, out, blk=blk):
        ln1_out.append(out)
        _, w = blk.self_attention(out, out, out, need_weights=True, average_attn_weights=False)
        attn_mha.append(w.detach())
    blk.ln_1.register_forward_hook(hook)
logits = model(x)
grads = torch.autograd.grad(score(logits), [x] + ln1_out)
grad_x, grad_ln1 = grads[0], grads[1:]


# ---------------------------------------------------------------------------------------------
# 2. The same forward written out with the attention probabilities as graph tensors (torchvision's
#    MultiheadAttention does not expose them), so ∂S/∂attn can be taken; an attention tensor can
#    also be replaced to make the rest of the network a function of it.

def composite_layer_norm(m):
    """LayerNorm from primitive ops. torch's fused layer_norm is right to second order but silently
    wrong at the third (its double backward treats the saved mean and 1/std as constants:
    pytorch/pytorch#175754), so the exact third-order diagonals use this one."""
    def ln(t):
        mu = t.mean(-1, keepdim=True)
        c = t - mu
        return c * torch.rsqrt((c * c).mean(-1, keepdim=True) + m.eps) * m.weight + m.bias
    return ln


def forward_exposed(x, replace=None, composite=False):
    norm = composite_layer_norm if composite else (lambda m: m)
    h = model._process_input(x)
    h = torch.cat([model.class_token.expand(x.shape[0], -1, -1), h], dim=1)
    h = h + model.encoder.pos_embedding
    attns = []
    for i, blk in enumerate(blocks):
        y = norm(blk.ln_1)(h)
        mha = blk.self_attention
        q, k, v = F.linear(y, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)
        split = lambda t: t.reshape(t.shape[0], -1, heads, dim // heads).transpose(1, 2)
        q, k, v = split(q), split(k), split(v)
        a = torch.softmax((q / math.sqrt(dim // heads)) @ k.transpose(-2, -1), dim=-1)
        if replace is not None and i in replace:
            a = replace[i]
        attns.append(a)
        o = mha.out_proj((a @ v).transpose(1, 2).reshape(a.shape[0], -1, dim))
        h = h + o
        h = h + blk.mlp(norm(blk.ln_2)(h))
    return model.heads(norm(model.encoder.ln)(h)[:, 0]), attns


logits2, attns = forward_exposed(x)
assert (logits2 - logits).abs().max() < 1e-13, "the exposed forward must be torchvision's"
assert (forward_exposed(x, composite=True)[0] - logits).abs().max() < 1e-13, "and so must the composite LayerNorm"
for a, w in zip(attns, attn_mha):
    assert (a - w).abs().max() < 1e-14, "attention must match MultiheadAttention(need_weights=True)"
grad_attn = torch.autograd.grad(score(logits2), attns)
attns = [a.detach() for a in attns]
s0 = torch.stack([logits[i, c] for i, c in enumerate(CLASSES)]).detach()


def exp_score(a, b):
    """Y = Σ_n exp(S_n − S_n(clean)) with block b's attention replaced by a."""
    out, _ = forward_exposed(x.detach(), {b: a}, composite=True)
    return torch.exp(torch.stack([out[i, c] for i, c in enumerate(CLASSES)]) - s0).sum()


def second_diagonal(a, b, e):
    a = a.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(exp_score(a, b), a, create_graph=True)
    (h,) = torch.autograd.grad(g.reshape(-1)[e], a)
    return h.reshape(-1)[e]


def exact_diagonals(b):
    """d2_e = ∂²Y/∂A_e², d3_e = ∂³Y/∂A_e³ for every element e of block b's attention, one at a time."""
    a = attns[b].clone().requires_grad_(True)
    (g,) = torch.autograd.grad(exp_score(a, b), a, create_graph=True)
    g = g.reshape(-1)
    d2 = torch.zeros(a.numel())
    d3 = torch.zeros(a.numel())
    for e in range(a.numel()):
        (h,) = torch.autograd.grad(g[e], a, create_graph=True, retain_graph=True)
        he = h.reshape(-1)[e]
        d2[e] = he.detach()
        if he.requires_grad:
            (t,) = torch.autograd.grad(he, a, retain_graph=True)
            d3[e] = t.reshape(-1)[e]
    return g.detach().reshape(a.shape), d2.reshape(a.shape), d3.reshape(a.shape)


exact = [exact_diagonals(b) for b in range(len(blocks))]
for b, ((d1, _, d3), g) in enumerate(zip(exact, grad_attn)):
    assert (d1 - g).abs().max() < 1e-13, "∂Y/∂A = ∂S/∂A at the clean input (Y = 1 there)"
    # Self-check of the third order: a central difference of the autograd second diagonal.
    for e in (1, 4, 40):
        step = torch.zeros(attns[b].numel())
        step[e] = 1e-5
        step = step.reshape(attns[b].shape)
        fd = (second_diagonal(attns[b] + step, b, e) - second_diagonal(attns[b] - step, b, e)) / 2e-5
        assert abs(fd - d3.reshape(-1)[e]) < 1e-6 * (1 + abs(fd)), f"d3 of block {b} at {e}: {d3.reshape(-1)[e]} vs {fd}"


# ---------------------------------------------------------------------------------------------
# 3. Rollouts, written from the papers.

S = attns[0].shape[-1]
eye = torch.eye(S).expand(n, S, S)


def attention_rollout(fusion, discard):
    """Abnar & Zuidema 2020; head fusion and discard ratio as jacobgil/vit-explain (without its
    column-normalization slip): the ⌊r·S²⌋ smallest fused entries are zeroed, except [cls, cls]."""
    R = eye.clone()
    for a in attns:
        f = {"mean": a.mean(1), "max": a.max(1).values, "min": a.min(1).values}[fusion]
        flat = f.reshape(n, -1).clone()
        k = int(flat.shape[-1] * discard)
        if k > 0:
            _, idx = flat.topk(k, -1, largest=False)
            for i in range(n):
                keep_cls = idx[i][idx[i] != 0]
                flat[i, keep_cls] = 0
        at = flat.reshape(n, S, S) + torch.eye(S)
        at = at / at.sum(-1, keepdim=True)
        R = at @ R
    return R


def gradient_rollout():
    """Chefer, Gur & Wolf 2021 (Generic Attention-model Explainability): R ← R + mean_h[(∇A ⊙ A)⁺]·R."""
    R = eye.clone()
    for a, g in zip(attns, grad_attn):
        R = R + (g * a).clamp(min=0).mean(1) @ R
    return R


def gradcampp_rollout(terms):
    """α = d2 / (2·d2 + ΣA·d3) (ΣA the row sums), α := 0 where the denominator is 0; R ← R + mean_h(α·ReLU(d1)·A)·R."""
    R = eye.clone()
    for a, (d1, d2, d3) in zip(attns, terms):
        den = 2 * d2 + a.sum(-1, keepdim=True) * d3
        alpha = torch.where(den != 0, d2 / torch.where(den != 0, den, torch.ones_like(den)), torch.zeros_like(den))
        R = R + (alpha * d1.clamp(min=0) * a).mean(1) @ R
    return R


ROLLOUTS = {"mean-0": ("mean", 0.0), "max-0.5": ("max", 0.5), "min-0.25": ("min", 0.25), "mean-0.9": ("mean", 0.9)}

io = {"x": x.detach(), "logits": logits.detach(), "grad_x": grad_x}
for i in range(len(blocks)):
    io[f"attn_{i}"] = attn_mha[i]
    io[f"grad_attn_{i}"] = grad_attn[i]
    io[f"grad_ln1_{i}"] = grad_ln1[i]
    io[f"d2_{i}"] = exact[i][1]
    io[f"d3_{i}"] = exact[i][2]
for key, (fusion, discard) in ROLLOUTS.items():
    io[f"rollout_{key}"] = attention_rollout(fusion, discard)
io["gradient_rollout"] = gradient_rollout()
io["gradcampp_rollout_closed"] = gradcampp_rollout([(g, g * g, g * g * g) for g in grad_attn])
io["gradcampp_rollout_exact"] = gradcampp_rollout(exact)
save_safetensors(io, os.path.join(OUT, "vit-tiny.io.safetensors"), {
    "config": json.dumps(CONFIG),
    "classes": json.dumps(CLASSES),
    "rollouts": json.dumps(ROLLOUTS),
    "torch": torch.__version__,
})


# ---------------------------------------------------------------------------------------------
# 4. A ViT with a convolutional stem (Xiao et al. 2021), as torchvision builds it.

STEM = [dict(out=4, kernel=3, stride=1), dict(out=6, kernel=3, stride=2), dict(out=6, kernel=3, stride=2)]
STEM_CONFIG = dict(image_size=16, patch_size=4, num_layers=2, num_heads=2, hidden_dim=8, mlp_dim=12, num_classes=3)
torch.manual_seed(1)
gen = torch.Generator().manual_seed(77)
stem_model = VisionTransformer(**STEM_CONFIG, conv_stem_configs=[ConvStemConfig(out_channels=c["out"], kernel_size=c["kernel"], stride=c["stride"]) for c in STEM])
with torch.no_grad():
    for name, p in stem_model.named_parameters():
        if p.dim() == 1 and name.endswith("weight"):
            p.copy_(1 + 0.3 * torch.randn(p.shape, generator=gen))
        elif p.dim() == 1 or name in ("class_token", "encoder.pos_embedding"):
            p.copy_(0.3 * torch.randn(p.shape, generator=gen))
        else:
            p.copy_(1.2 * torch.randn(p.shape, generator=gen) / math.sqrt(p[0].numel()))
    for name, b in stem_model.named_buffers():
        if name.endswith("running_mean"):
            b.copy_(0.2 * torch.randn(b.shape, generator=gen))
        elif name.endswith("running_var"):
            b.copy_(0.5 + torch.rand(b.shape, generator=gen))
stem_model.eval()
save_safetensors(dict(stem_model.state_dict()), os.path.join(OUT, "vit-stem.safetensors"), {"config": json.dumps(STEM_CONFIG), "stem": json.dumps(STEM)})
xs = torch.randn(2, 3, 16, 16, generator=gen).requires_grad_(True)
stem_logits = stem_model(xs)
(stem_grad_x,) = torch.autograd.grad(score(stem_logits), xs)
save_safetensors({"x": xs.detach(), "logits": stem_logits.detach(), "grad_x": stem_grad_x}, os.path.join(OUT, "vit-stem.io.safetensors"), {
    "config": json.dumps(STEM_CONFIG), "stem": json.dumps(STEM), "classes": json.dumps(CLASSES), "torch": torch.__version__,
})
print("wrote", OUT)
