"""Reference numbers for camlab's Grad-CAM++ presets, computed in PyTorch (float64).

For a small CNN (saved as safetensors with a camlab spec) and one input, this writes the channel
weights and raw maps that the formulas of pytorch-grad-cam, torchcam, the official Grad-CAM++ code
(adityac94) and tf-keras-vis give, each re-implemented here from reading that library's source
(versions noted in docs/grad-cam-plus-plus.md). test/cam/reference.test.ts checks that camlab's
presets reproduce them. Run: python3 scripts/cam-reference.py (needs torch, safetensors).
"""
import json
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(7)
torch.set_default_dtype(torch.float64)
OUT = "test/fixtures/cam"

features = nn.Sequential(
    nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(),
)
head = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 5, 1), nn.ReLU())
classifier = nn.Linear(5, 4)
with torch.no_grad():
    features[1].running_mean.copy_(torch.randn(6) * 0.1)
    features[1].running_var.copy_(torch.rand(6) + 0.5)
    features[1].weight.copy_(torch.rand(6) + 0.5)
    features[1].bias.copy_(torch.randn(6) * 0.1)
model = nn.Sequential()
model.add_module("features", features)
model.add_module("head", head)
model.add_module("pool", nn.AdaptiveAvgPool2d(1))
model.add_module("flatten", nn.Flatten())
model.add_module("classifier", classifier)
model.eval()
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, f"{OUT}/model.safetensors")
spec = {
    "format": "camlab-model", "version": 1, "name": "cam-reference",
    "input": {"channels": 3, "height": 16, "width": 16}, "classes": ["a", "b", "c", "d"],
    "architecture": {"type": "Sequential", "children": {
        "features": {"type": "Sequential", "layers": [
            {"type": "Conv2d", "in": 3, "out": 6, "kernel": 3, "padding": 1}, {"type": "BatchNorm2d", "features": 6},
            {"type": "ReLU"}, {"type": "MaxPool2d", "kernel": 2},
            {"type": "Conv2d", "in": 6, "out": 8, "kernel": 3, "padding": 1}, {"type": "ReLU"}]},
        "head": {"type": "Sequential", "layers": [
            {"type": "Conv2d", "in": 8, "out": 8, "kernel": 3, "padding": 1}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel": 2},
            {"type": "Conv2d", "in": 8, "out": 5, "kernel": 1}, {"type": "ReLU"}]},
        "pool": {"type": "AdaptiveAvgPool2d", "size": 1},
        "flatten": {"type": "Flatten"},
        "classifier": {"type": "Linear", "in": 5, "out": 4}}},
}
json.dump(spec, open(f"{OUT}/spec.json", "w"), indent=1)

x = torch.randn(1, 3, 16, 16)
A = features(x).detach().requires_grad_(True)  # target layer: features.5, [1, 8, 8, 8]
scores = classifier(torch.flatten(F.adaptive_avg_pool2d(head(A), 1), 1))
cls = 2
g, = torch.autograd.grad(scores[0, cls], A)
A_, g_ = A.detach(), g.detach()


def cam(w):
    return (w[:, :, None, None] * A_).sum(1)


out = {"input": x.flatten().tolist(), "class": cls, "score": scores[0, cls].item(), "layer": "features.5"}

# pytorch-grad-cam (GradCAMPlusPlus.get_cam_weights): eq. 19 with eps = 1e-6, α = 0 where g = 0.
g2, g3 = g_ ** 2, g_ ** 3
sumA = A_.sum(dim=(2, 3))[:, :, None, None]
aij = g2 / (2 * g2 + sumA * g3 + 1e-6)
aij = torch.where(g_ != 0, aij, torch.zeros_like(aij))
w_pgc = (torch.clamp(g_, min=0) * aij).sum(dim=(2, 3))
out["pytorch-grad-cam"] = {"weights": w_pgc.flatten().tolist(), "map": torch.relu(cam(w_pgc)).flatten().tolist()}

# torchcam (GradCAMpp._get_weights): the masked in-place division writes into a copy, so α stays g².
alpha = g_.pow(2)
denom = 2 * alpha + (g3 * A_).flatten(2).sum(-1)[..., None, None]
mask = alpha > 0
alpha[mask].div_(denom[mask] + 1e-8)  # a no-op on alpha, as in torchcam
w_tc = (alpha * torch.relu(g_)).flatten(2).sum(-1)
out["torchcam"] = {"weights": w_tc.flatten().tolist(), "map": torch.relu(cam(w_tc)).flatten().tolist()}

# official code (adityac94/Grad_CAM_plus_plus misc/utils.py): exp(S) factors, α /= Σ_ij α per channel.
e = torch.exp(scores[0, cls]).detach()
first, second, third = e * g_, e * g2, e * g3
global_sum = A_.sum(dim=(2, 3))[:, :, None, None]
alpha_num = second
alpha_denom = second * 2 + third * global_sum
alpha_denom = torch.where(alpha_denom != 0, alpha_denom, torch.ones_like(alpha_denom))
alphas = alpha_num / alpha_denom
alphas = alphas / alphas.sum(dim=(2, 3), keepdim=True)  # no zero guard in the original
w_off = (torch.clamp(first, min=0) * alphas).sum(dim=(2, 3))
out["official"] = {"weights": w_off.flatten().tolist(), "map": torch.relu(cam(w_off)).flatten().tolist()}

# tf-keras-vis (GradcamPlusPlus): the same with zero guards on both denominators.
alpha_denom = second * 2 + third * global_sum
alpha_denom = alpha_denom + (second == 0).double()
alphas = second / alpha_denom
const = alphas.sum(dim=(2, 3), keepdim=True)
alphas = alphas / (const + (const == 0).double())
w_tkv = (torch.relu(first) * alphas).sum(dim=(2, 3))
out["tf-keras-vis"] = {"weights": w_tkv.flatten().tolist(), "map": torch.relu(cam(w_tkv)).flatten().tolist()}

# The paper (eq. 19 as printed, α = 0 where the denominator is 0), for camlab's default.
den = 2 * g2 + sumA * g3
alpha = torch.where(den != 0, g2 / torch.where(den != 0, den, torch.ones_like(den)), torch.zeros_like(den))
w_paper = (alpha * torch.relu(g_)).sum(dim=(2, 3))
out["paper"] = {"weights": w_paper.flatten().tolist(), "map": torch.relu(cam(w_paper)).flatten().tolist()}

# Grad-CAM (all libraries): mean gradient.
w_gc = g_.mean(dim=(2, 3))
out["gradcam"] = {"weights": w_gc.flatten().tolist(), "map": torch.relu(cam(w_gc)).flatten().tolist()}
up = F.interpolate(torch.relu(cam(w_gc))[:, None], size=(16, 16), mode="bilinear", align_corners=False)[0, 0]
up = (up - up.min()) / (up.max() - up.min())
out["gradcam"]["upsampled"] = up.flatten().tolist()

# torchcam SmoothGradCAMpp with zero noise and n = 2: D2 numerator, index-mixed denominator, eps 1e-8,
# ReLU of the last sample's gradient, the map on the last (here: clean) activation.
d2, d3 = g2, g3
alpha = d2 / (2 * d2 + (d3 * A_).flatten(2).sum(-1)[..., None, None] + 1e-8)
w_stc = (alpha * torch.relu(g_)).flatten(2).sum(-1)
out["torchcam-smooth"] = {"weights": w_stc.flatten().tolist()}

# Exact diagonals of Y = exp(S − S0) by nested autograd for a few elements (piecewise-linear head: = g², g³).
diag = []
for flat in [0, 37, 100, 255, 300, 511]:
    Ay = A_.clone().requires_grad_(True)
    S = classifier(torch.flatten(F.adaptive_avg_pool2d(head(Ay), 1), 1))[0, cls]
    Y = torch.exp(S - scores[0, cls].detach())
    d1, = torch.autograd.grad(Y, Ay, create_graph=True)
    e1 = d1.flatten()[flat]
    if e1.requires_grad:
        d2e, = torch.autograd.grad(e1, Ay, create_graph=True)
        e2 = d2e.flatten()[flat]
        d3e = torch.autograd.grad(e2, Ay, allow_unused=True)[0] if e2.requires_grad else None
        diag.append([flat, e1.item(), e2.item(), 0.0 if d3e is None else d3e.flatten()[flat].item()])
    else:
        diag.append([flat, e1.item(), 0.0, 0.0])
out["exactDiagonals"] = diag
json.dump(out, open(f"{OUT}/expected.json", "w"))
print("wrote", OUT, "weights:", {k: len(v["weights"]) for k, v in out.items() if isinstance(v, dict) and "weights" in v})
