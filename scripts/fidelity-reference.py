"""Reference numbers for camlab's fidelity options and the methods pytorch-grad-cam users reach for,
computed in PyTorch (float64) and written to test/fixtures/cam/fidelity.ref.safetensors.

Run from the repository root with Debian's python3-torch, python3-torchvision and python3-onnx:
    /usr/bin/python3 scripts/fidelity-reference.py
CI does not run it; test/cam/fidelity.test.ts reads the file it writes.

pytorch-grad-cam (v1.5.5, jacobgil/pytorch-grad-cam) and torchcam (frgfm/torch-cam) are not
installed: each formula below is re-implemented in torch from reading that library's source, as
named in the comments. The camlab pipeline for a map (upsample with align_corners=False, then
min-max) is applied where camlab's `upsampled` is compared.

Two models:
- "small": the CNN of scripts/cam-reference.py (test/fixtures/cam/model.safetensors, its input and
  class from expected.json), target layer features.5 [1, 8, 8, 8];
- "resnet": the reduced torchvision ResNet-18 of scripts/onnx-fixtures.py (rebuilt with the same
  seeds; test/fixtures/onnx/resnet18.f64.onnx), target layer layer4.1 [1, 32, 2, 2].
"""
import importlib.util
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
CAM = "test/fixtures/cam"
ONNX = "test/fixtures/onnx"
out, meta = {}, {}

spec = importlib.util.spec_from_file_location("onnx_fixtures", "scripts/onnx-fixtures.py")
onnx_fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(onnx_fixtures)
read_safetensors = onnx_fixtures.read_safetensors


def normalize(m):
    """camlab's min-max of a [H, W] map."""
    return (m - m.min()) / (m.max() - m.min())


def upsampled(m, size):
    """camlab's post-processing of a [h, w] map: bilinear (align_corners=False), then min-max."""
    return normalize(F.interpolate(m[None, None], size=size, mode="bilinear", align_corners=False)[0, 0])


def projection(t):
    """pytorch-grad-cam get_2d_projection of one [K, h, w] tensor, with the sign correction of its
    get_2d_projection_with_sign_correction (flip when |min| > |max|): camlab's convention."""
    k, h, w = t.shape
    x = t.reshape(k, -1).T
    x = x - x.mean(dim=0)
    _, _, vt = torch.linalg.svd(x, full_matrices=True)
    p = (x @ vt[0]).reshape(h, w)
    return -p if p.min().abs() > p.max().abs() else p


def at_layer(model, layer, x):
    """Activation of `layer` for x and a function head(A) -> logits (the layer's output replaced)."""
    saved = {}
    h = layer.register_forward_hook(lambda _m, _i, o: saved.__setitem__("a", o))
    model(x)
    h.remove()

    def head(a):
        hook = layer.register_forward_hook(lambda _m, _i, _o: a)
        try:
            return model(x.expand(a.shape[0], *x.shape[1:]))
        finally:
            hook.remove()
    return saved["a"].detach(), head


def grad_at(model, layer, x, cls):
    """A and g = dS/dA at the layer for input x."""
    a, head = at_layer(model, layer, x)
    a = a.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(head(a)[0, cls], a)
    return a.detach(), g


def gradcam_map(model, layer, x, cls, size):
    """Grad-CAM at a layer through camlab's pipeline: ReLU(sum_k mean(g_k) A_k), upsampled, min-max."""
    a, g = grad_at(model, layer, x, cls)
    return upsampled(torch.relu((g[0].mean(dim=(1, 2))[:, None, None] * a[0]).sum(0)), size)


def gradcam_layers(model, layers, x, cls, size):
    """Several layers (base_cam.py aggregate_multi_layers) with camlab's per-layer pipeline: the
    mean of the per-layer normalized maps (camlab normalizes it again)."""
    return sum(gradcam_map(model, layer, x, cls, size) for layer in layers) / len(layers)


def gradcam_aug(model, layer, x, cls, size):
    """aug_smooth (base_cam.py forward_augmentation_smoothing with ttach HorizontalFlip and
    Multiply([0.9, 1, 1.1])): the maps of s * flip(x), flipped back, averaged; the class fixed."""
    maps = []
    for flip in (False, True):
        for factor in (0.9, 1.0, 1.1):
            m = gradcam_map(model, layer, (x.flip(3) if flip else x) * factor, cls, size)
            maps.append(m.flip(1) if flip else m)
    return sum(maps) / len(maps)


# ---------------------------------------------------------------- the small CNN
small_features = nn.Sequential(
    nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(),
)
small = nn.Sequential()
small.add_module("features", small_features)
small.add_module("head", nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 5, 1), nn.ReLU()))
small.add_module("pool", nn.AdaptiveAvgPool2d(1))
small.add_module("flatten", nn.Flatten())
small.add_module("classifier", nn.Linear(5, 4))
state, _ = read_safetensors(f"{CAM}/model.safetensors")
small.load_state_dict(state)
small.eval()
expected = json.load(open(f"{CAM}/expected.json"))
x = torch.tensor(expected["input"]).reshape(1, 3, 16, 16)
cls = expected["class"]
assert abs(small(x)[0, cls].item() - expected["score"]) < 1e-12
L5 = small.features[5]
A, g = grad_at(small, L5, x, cls)
A0, g0 = A[0], g[0]
size = (16, 16)

# Given noise: three noise tensors; Smooth Grad-CAM++'s moments D1, D2, D3 over x + eps_m.
torch.manual_seed(11)
eps = [torch.randn(1, 3, 16, 16) * 0.3 for _ in range(3)]
out["small.noise"] = torch.cat(eps)
gs, noisy_as = [], []
for e in eps:
    an, gn = grad_at(small, L5, x + e, cls)
    gs.append(gn[0])
    noisy_as.append(an[0])
d1 = sum(gs) / 3
d2 = sum(t ** 2 for t in gs) / 3
d3 = sum(t ** 3 for t in gs) / 3
sum_a = A0.sum(dim=(1, 2))[:, None, None]
alpha = d2 / (2 * d2 + sum_a * d3)  # no zero denominators on this model (checked below)
assert (2 * d2 + sum_a * d3).abs().min() > 0
w = (alpha * torch.relu(d1)).sum(dim=(1, 2))
out.update({"small.sgcpp.d1": d1, "small.sgcpp.d2": d2, "small.sgcpp.d3": d3, "small.sgcpp.weights": w,
            "small.sgcpp.map": torch.relu((w[:, None, None] * A0).sum(0))})
# torchcam SmoothGradCAMpp with the same noise: D2 numerator, sum_ab A D3 + 1e-8 denominator (clean A),
# ReLU of the last sample's gradient, the last noisy activation in the map.
alpha = d2 / (2 * d2 + (d3 * A0).flatten(1).sum(-1)[:, None, None] + 1e-8)
w = (alpha * torch.relu(gs[-1])).flatten(1).sum(-1)
out["small.sgcpp-torchcam.weights"] = w
out["small.sgcpp-torchcam.map"] = torch.relu((w[:, None, None] * noisy_as[-1]).sum(0))
# SmoothGrad with the same noise: the mean input gradient.
sal = []
for e in eps:
    xe = (x + e).requires_grad_(True)
    (gx,) = torch.autograd.grad(small(xe)[0, cls], xe)
    sal.append(gx)
out["small.smoothgrad"] = sum(sal)[0] / 3

# torchcam GradCAMpp as written: alpha = g^2 / (2 g^2 + sum_ab A_ab g_ab^3 + 1e-8) where g^2 > 0.
g2, g3 = g0 ** 2, g0 ** 3
alpha = torch.where(g2 > 0, g2 / (2 * g2 + (g3 * A0).flatten(1).sum(-1)[:, None, None] + 1e-8), g2)
w = (alpha * torch.relu(g0)).flatten(1).sum(-1)
out["small.gradcampp-torchcam-as-written.weights"] = w
out["small.gradcampp-torchcam-as-written.map"] = torch.relu((w[:, None, None] * A0).sum(0))

# HiResCAM (pytorch-grad-cam hirescam.py): ReLU(sum_k g * A).
out["small.hirescam.map"] = torch.relu((g0 * A0).sum(0))

# Ablation-CAM (pytorch-grad-cam ablation_cam.py; features.5 is post-ReLU, min(A) = 0, so its
# ablation layer zeroes the channel as the paper does): w_k = (S - S_k) / S.
a_full, head = at_layer(small, L5, x)
s = head(a_full)[0, cls]
copies = a_full.repeat(8, 1, 1, 1)
for k in range(8):
    copies[k, k] = 0
sk = head(copies)[:, cls]
out["small.ablationcam.drops"] = (s - sk).detach()
w = ((s - sk) / s).detach()
out["small.ablationcam.weights"] = w
out["small.ablationcam.map"] = torch.relu((w[:, None, None] * A0).sum(0))

# EigenCAM (eigen_cam.py): ReLU of the first principal component projection of A.
out["small.eigencam.projection"] = projection(A0)
# eigen_smooth (base_cam.py get_cam_image) with Grad-CAM weights: the projection of w_k A_k.
w = g0.mean(dim=(1, 2))
out["small.gradcam-eigensmooth.map"] = torch.relu(projection(w[:, None, None] * A0))

out["small.gradcam-layers.mean"] = gradcam_layers(small, (small.features[2], L5), x, cls, size)
out["small.gradcam-layers.upsampled"] = normalize(out["small.gradcam-layers.mean"])
out["small.gradcam-aug.mean"] = gradcam_aug(small, L5, x, cls, size)
out["small.gradcam-aug.upsampled"] = normalize(out["small.gradcam-aug.mean"])

# ---------------------------------------------------------------- bilinear resize, both alignments
torch.manual_seed(5)
r = torch.randn(2, 3, 5, 7)
out["resize.input"] = r
for (h, w_) in ((11, 4), (3, 9), (1, 1), (5, 7)):
    for ac in (False, True):
        out[f"resize.{h}x{w_}.{'true' if ac else 'false'}"] = F.interpolate(r, size=(h, w_), mode="bilinear", align_corners=ac)

# ---------------------------------------------------------------- the reduced torchvision ResNet-18
torch.set_default_dtype(torch.float32)  # onnx-fixtures.py drew the weights in float32
resnet = onnx_fixtures.randomize(onnx_fixtures.SmallResNet(onnx_fixtures.resnet.BasicBlock, [1, 1, 1, 2], 4), 100).double()
torch.set_default_dtype(torch.float64)
ref, ref_meta = read_safetensors(f"{ONNX}/resnet18.ref.safetensors")
xr = ref["input"].double()
with torch.no_grad():
    assert (resnet(xr) - ref["logits_f64"]).abs().max() < 1e-12, "the rebuilt ResNet differs from the ONNX fixture's"
rcls = int(ref_meta["class"])
meta["resnet.class"] = str(rcls)
L4 = resnet.layer4[1]
Ar, gr = grad_at(resnet, L4, xr, rcls)
Ar0, gr0 = Ar[0], gr[0]
rsize = (64, 64)
with torch.no_grad():
    base = resnet(xr)[0, rcls]

    def score_cam(masks):
        """w = softmax_k(f_c(x * M_k) - f_c(x)) and the map, for masks [K, H, W]."""
        gains = resnet(xr * masks[:, None])[:, rcls] - base
        w = torch.softmax(gains, 0)
        return gains, w, torch.relu((w[:, None, None] * Ar0).sum(0))

    def minmax_eps(t):
        lo = t.flatten(1).min(1).values[:, None, None]
        hi = t.flatten(1).max(1).values[:, None, None]
        return (t - lo) / (hi - lo + 1e-8)

    recipes = {
        # the paper's order: upsample, then min-max (camlab's default; a flat channel, all 0 after the ReLU, gives a 0 mask)
        "paper": torch.stack([normalize(m) if m.max() > m.min() else torch.zeros_like(m)
                              for m in F.interpolate(Ar, size=rsize, mode="bilinear", align_corners=False)[0]]),
        # torchcam ScoreCAM._get_weights: _normalize at feature resolution, then interpolate(align_corners=False)
        "torchcam": F.interpolate(minmax_eps(Ar0)[None], size=rsize, mode="bilinear", align_corners=False)[0],
        # pytorch-grad-cam score_cam.py: UpsamplingBilinear2d (align_corners=True), then (u - min)/(max - min + 1e-8)
        "pytorch-grad-cam": minmax_eps(nn.UpsamplingBilinear2d(size=rsize)(Ar)[0]),
    }
    for name, masks in recipes.items():
        gains, w, m = score_cam(masks)
        out[f"resnet.scorecam.{name}.gains"] = gains
        out[f"resnet.scorecam.{name}.weights"] = w
        out[f"resnet.scorecam.{name}.upsampled"] = upsampled(m, rsize)
    for a_, b_ in (("paper", "pytorch-grad-cam"), ("paper", "torchcam"), ("torchcam", "pytorch-grad-cam")):
        d = (out[f"resnet.scorecam.{a_}.upsampled"] - out[f"resnet.scorecam.{b_}.upsampled"]).abs().max().item()
        meta[f"resnet.scorecam.maxdiff.{a_}.{b_}"] = repr(d)
        print(f"Score-CAM {a_} vs {b_}: max |difference| of the normalized maps {d:.4f}")

    # Ablation-CAM (layer4.1 ends in a ReLU: pytorch-grad-cam zeroes the channel too)
    a_full, rhead = at_layer(resnet, L4, xr)
    assert a_full.min() == 0
    copies = a_full.repeat(Ar.shape[1], 1, 1, 1)
    for k in range(Ar.shape[1]):
        copies[k, k] = 0
    w = (base - rhead(copies)[:, rcls]) / base
    out["resnet.ablationcam.weights"] = w
    out["resnet.ablationcam.upsampled"] = upsampled(torch.relu((w[:, None, None] * Ar0).sum(0)), rsize)
out["resnet.hirescam.upsampled"] = upsampled(torch.relu((gr0 * Ar0).sum(0)), rsize)
out["resnet.eigencam.upsampled"] = upsampled(torch.relu(projection(Ar0)), rsize)
out["resnet.gradcam-layers.upsampled"] = normalize(gradcam_layers(resnet, (resnet.layer3[0], L4), xr, rcls, rsize))
out["resnet.gradcam-aug.upsampled"] = normalize(gradcam_aug(resnet, L4, xr, rcls, rsize))

onnx_fixtures.save_safetensors(f"{CAM}/fidelity.ref.safetensors", {k: v.detach().double().contiguous() for k, v in out.items()}, meta)
print("wrote", f"{CAM}/fidelity.ref.safetensors", len(out), "tensors")
