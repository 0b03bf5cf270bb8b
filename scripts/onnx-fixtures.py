"""Writes the ONNX fixtures of test/onnx/ to test/fixtures/onnx/.

Run from the repository root with Debian's python3-torch, python3-torchvision and python3-onnx
(they install offline with apt):  /usr/bin/python3 scripts/onnx-fixtures.py
CI does not run this; the generated files are committed and the tests only read them.

For each architecture below (REDUCED versions of the torchvision classifiers: the same module
tree and block types, smaller widths and depths, 10 classes, seeded random weights, BatchNorm
running statistics and affine parameters randomised so that no BatchNorm is the identity, eval
mode) it writes:

  <arch>.onnx            torch.onnx.export at opset 17, float32, static batch 1
  <arch>.opset11.onnx    the same model at opset 11 (older operator forms: Squeeze/Unsqueeze/
                         Split/ReduceMean with attributes, no HardSwish/LayerNormalization ops)
  <arch>.f64.onnx        the float64 model (model.double()) at opset 17: float64 initializers,
                         and constants such as GELU's sqrt(2) stored in double precision
  <arch>.ref.safetensors the input, PyTorch's logits of the float32 and float64 models, and at
                         pytorch-grad-cam's recommended target layer (float64): the activation
                         A, dS/dA for the explained class (the predicted one), and the Grad-CAM
                         and Grad-CAM++ channel weights as pytorch-grad-cam computes them
                         (re-implemented here: pytorch-grad-cam is not installed; Grad-CAM++ with
                         its eps = 1e-6); the metadata names the camlab layer and the class

The ViT is exported once more: vit.dynamic.onnx with dynamic_axes on the batch (its shape
arithmetic Shape -> Gather -> Concat stays in the graph and camlab folds it at load, tracking the
batch) and its static form above, whose reshapes have the batch baked in.

preprocess.png and preprocess.ref.safetensors: torchvision's Resize/CenterCrop/Normalize outputs.

resnet18-external.onnx keeps its larger initializers in the side file resnet18-external.weights.

ops.* and ops-manual.* are small graphs for operators and attribute forms the classifiers do
not use, with PyTorch's values in ops.ref.safetensors (see `OpsZoo` and `hand_built`). Malformed-file tests build their bytes in
TypeScript.
"""
import copy
import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from torchvision.models import convnext, densenet, efficientnet, mobilenetv2, mobilenetv3, regnet, resnet, squeezenet
from torchvision.models.vision_transformer import VisionTransformer
from torchvision.ops.misc import Conv2dNormActivation

OUT = "test/fixtures/onnx"
CLASSES = 10


class SmallResNet(resnet.ResNet):
    """torchvision's ResNet.__init__ with the stem and stage widths divided (same module names)."""

    def __init__(self, block, layers, base):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = base
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, base, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, base, layers[0])
        self.layer2 = self._make_layer(block, base * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, base * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, base * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(base * 8 * block.expansion, CLASSES)


def small_squeezenet():
    """squeezenet1_1's layout (features.0..12, classifier.0..3) with a quarter of the widths."""
    m = squeezenet.SqueezeNet(version="1_1", num_classes=CLASSES)
    Fire = squeezenet.Fire
    m.features = nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, stride=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(16, 4, 16, 16), Fire(32, 4, 16, 16),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(32, 8, 32, 32), Fire(64, 8, 32, 32),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(64, 12, 48, 48), Fire(96, 12, 48, 48), Fire(96, 16, 64, 64), Fire(128, 16, 64, 64),
    )
    m.classifier[1] = nn.Conv2d(128, CLASSES, kernel_size=1)
    return m


def small_mobilenet_v3():
    setting, last = mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
    return mobilenetv3.MobileNetV3(setting[:6], last, num_classes=CLASSES)


def small_efficientnet():
    setting, _ = efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.2)
    return efficientnet.EfficientNet(setting, dropout=0.2, num_classes=CLASSES, last_channel=64)


def small_mobilenet_v2():
    setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 1, 2], [6, 64, 1, 2], [6, 96, 1, 1], [6, 160, 1, 2], [6, 320, 1, 1]]
    m = mobilenetv2.MobileNetV2(num_classes=CLASSES, width_mult=0.25, inverted_residual_setting=setting)
    # torchvision keeps the last 1x1 conv at 1280 channels for width_mult < 1; narrow it too.
    m.features[-1] = Conv2dNormActivation(m.features[-1][0].in_channels, 64, kernel_size=1, activation_layer=nn.ReLU6)
    m.classifier[1] = nn.Linear(64, CLASSES)
    return m


def small_regnet():
    params = regnet.BlockParams.from_init_params(depth=6, w_0=8, w_a=8.0, w_m=1.5, group_width=8, se_ratio=0.25)
    return regnet.RegNet(params, num_classes=CLASSES, stem_width=8)


def small_convnext():
    cfg = convnext.CNBlockConfig
    return convnext.ConvNeXt([cfg(8, 16, 1), cfg(16, 32, 1), cfg(32, 48, 1), cfg(48, None, 1)], num_classes=CLASSES)


def small_vit():
    return VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=CLASSES)


def vit_tokens_to_map(t):
    """pytorch-grad-cam's reshape_transform for ViT: drop the class token, tokens -> [N, D, h, w]."""
    n, l, d = t.shape
    side = int(round((l - 1) ** 0.5))
    return t[:, 1:, :].reshape(n, side, side, d).permute(0, 3, 1, 2)


# name, builder, input size, target layer (camlab module path), the torch module, token transform.
ARCHS = [
    ("resnet18", lambda: SmallResNet(resnet.BasicBlock, [1, 1, 1, 2], 4), 64, "layer4.1", lambda m: m.layer4[-1], None),
    ("resnet50", lambda: SmallResNet(resnet.Bottleneck, [1, 1, 1, 2], 4), 64, "layer4.1", lambda m: m.layer4[-1], None),
    ("mobilenet_v2", small_mobilenet_v2, 64, "features.9", lambda m: m.features[-1], None),
    ("mobilenet_v3_small", small_mobilenet_v3, 64, "features.7", lambda m: m.features[-1], None),
    ("efficientnet_b0", small_efficientnet, 64, "features.8", lambda m: m.features[-1], None),
    ("densenet121", lambda: densenet.DenseNet(growth_rate=4, block_config=(2, 2, 2, 2), num_init_features=8, bn_size=2, num_classes=CLASSES), 64, "features.norm5", lambda m: m.features[-1], None),
    ("squeezenet1_1", small_squeezenet, 64, "features.12", lambda m: m.features[-1], None),
    ("regnet_y_400mf", small_regnet, 64, "trunk_output.block4", lambda m: m.trunk_output[-1], None),
    ("convnext_tiny", small_convnext, 64, "features.7", lambda m: m.features[-1], None),
    ("vit", small_vit, 32, "encoder.layers.encoder_layer_1.ln_1:grid", lambda m: m.encoder.layers[-1].ln_1, vit_tokens_to_map),
]


def randomize(model, seed):
    """Seeded random weights; BatchNorm/LayerNorm affine parameters and running statistics, layer
    scales and the class token drawn so that none of them is an identity."""
    torch.manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            nn.init.normal_(m.weight, std=(2.0 / fan_in) ** 0.5)
            if m.bias is not None:
                nn.init.normal_(m.bias, std=0.1)
        elif isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features) * 0.2)
                m.running_var.copy_(torch.rand(m.num_features) + 0.5)
                m.weight.copy_(torch.rand(m.num_features) + 0.5)
                m.bias.copy_(torch.randn(m.num_features) * 0.2)
        elif isinstance(m, nn.LayerNorm):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape) * 0.2)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(torch.rand(p.shape) * 0.5 + 0.25)
            elif name in ("class_token", "encoder.pos_embedding"):
                p.copy_(torch.randn(p.shape) * 0.5)
    return model.eval()


def export(model, x, path, opset, dynamic=False):
    torch.onnx.export(
        model, x, path, opset_version=opset, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}} if dynamic else None,
    )
    size = os.path.getsize(path)
    assert size < 2_200_000, f"{path} is {size} bytes"


def save_safetensors(path, tensors, metadata):
    """The safetensors format (8-byte header length, JSON header, raw little-endian data), written
    by hand: Debian has no python3-safetensors."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        dtype = {torch.float32: "F32", torch.float64: "F64"}[t.dtype]
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """A safetensors file as ({name: tensor}, metadata), read by hand like save_safetensors writes."""
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    dtypes = {"F64": np.float64, "F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dtypes[h["dtype"]]).reshape(h["shape"]).copy())
    return tensors, header.get("__metadata__", {})


def cam_reference(model, layer, x, transform):
    """A, dS/dA, class and pytorch-grad-cam's Grad-CAM / Grad-CAM++ weights, in float64."""
    saved = {}

    def hook(_m, _i, out):
        saved["a"] = out
        return out.clone()  # in-place ops after the layer (DenseNet's F.relu(inplace)) must not touch A

    h = layer.register_forward_hook(hook)
    logits = model(x)
    h.remove()
    cls = int(logits[0].argmax())
    a = saved["a"]
    (g,) = torch.autograd.grad(logits[0, cls], a)
    if transform is not None:
        a, g = transform(a), transform(g)
    a, g = a.detach(), g.detach()
    # pytorch-grad-cam GradCAM.get_cam_weights: the spatial mean of the gradients.
    w_gradcam = g.mean(dim=(2, 3))
    # pytorch-grad-cam GradCAMPlusPlus.get_cam_weights (eq. 19 with eps = 1e-6, α = 0 where g = 0).
    g2, g3 = g ** 2, g ** 3
    sum_a = a.sum(dim=(2, 3))[:, :, None, None]
    aij = g2 / (2 * g2 + sum_a * g3 + 1e-6)
    aij = torch.where(g != 0, aij, torch.zeros_like(aij))
    w_gradcampp = (torch.clamp(g, min=0) * aij).sum(dim=(2, 3))
    tensors = {"activation": a, "gradient": g, "gradcam": w_gradcam, "gradcampp": w_gradcampp}
    return cls, tensors


def arch_fixtures():
    for i, (name, build, size, layer_name, layer_of, transform) in enumerate(ARCHS):
        model = randomize(build(), 100 + i)
        torch.manual_seed(200 + i)
        x = torch.rand(1, 3, size, size) * 2 - 1
        export(model, x, f"{OUT}/{name}.onnx", 17)
        export(model, x, f"{OUT}/{name}.opset11.onnx", 11)
        m64 = copy.deepcopy(model).double()
        export(m64, x.double(), f"{OUT}/{name}.f64.onnx", 17)
        if name == "vit":
            export(model, x, f"{OUT}/vit.dynamic.onnx", 17, dynamic=True)
        with torch.no_grad():
            logits32 = model(x)
            logits64 = m64(x.double())
        cls, tensors = cam_reference(m64, layer_of(m64), x.double(), transform)
        tensors.update({"input": x, "logits_f32": logits32, "logits_f64": logits64})
        save_safetensors(f"{OUT}/{name}.ref.safetensors", tensors, {"arch": name, "layer": layer_name, "class": str(cls)})
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, layer {layer_name} {list(tensors['activation'].shape)}, class {cls}")


class OpsZoo(nn.Module):
    """Operators and attribute forms that the reduced classifiers do not exercise, as torch.onnx
    writes them: dilated grouped conv, PReLU, LeakyReLU, tanh, pow/sqrt/neg/sub, max/avg pooling
    with ceil_mode, padding and count_include_pad=False, reflect/replicate/constant pads, split,
    squeeze, strided slices, gather, softmax on a middle axis, batched broadcasting matmul."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2)
        self.prelu = nn.PReLU(6)
        self.lin = nn.Linear(5, 3)

    def forward(self, x):  # x [1, 4, 9, 9]
        a = self.prelu(self.conv(x))
        outs = [
            F.leaky_relu(a, 0.1), torch.tanh(a), torch.sqrt(a.abs() + 1).neg() - a.pow(3),
            F.max_pool2d(a, 3, stride=2, padding=1, ceil_mode=True),
            F.avg_pool2d(a, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
            F.avg_pool2d(a, 2, stride=2, padding=1, count_include_pad=True),
            F.pad(a, (1, 2, 0, 1), mode="reflect"), F.pad(a, (2, 0, 1, 1), mode="replicate"), F.pad(a, (1, 1, 2, 0), value=0.5),
        ]
        p, q = torch.split(a, [2, 4], dim=1)
        outs += [p * 2, q - 1, a[:, :, ::2, 1::3], a[:, 2], a[:, :, -1], torch.softmax(a, dim=1), F.hardsigmoid(a), F.hardswish(a), F.silu(a)]
        outs += [a.mean(dim=(2, 3)), a.mean(dim=1, keepdim=True), torch.matmul(a[0, :, :5, :5], a[0, :1, :5, :5].transpose(1, 2))]
        outs += [self.lin(a[:, :, :, :5]), torch.squeeze(a[:, :, :1, :], 2), a.unsqueeze(1), F.relu6(a), torch.clamp(a, min=-0.5), F.gelu(a), F.gelu(a, approximate="tanh")]
        return tuple(outs)


def ops_fixtures():
    torch.manual_seed(300)
    zoo = OpsZoo().eval()
    x = torch.randn(1, 4, 9, 9)
    with torch.no_grad():
        outs = zoo(x)
    names = [f"out{i}" for i in range(len(outs))]
    for opset in (11, 17):
        torch.onnx.export(zoo, x, f"{OUT}/ops.opset{opset}.onnx", opset_version=opset, input_names=["input"], output_names=names)
    zoo64 = copy.deepcopy(zoo).double()
    with torch.no_grad():
        outs64 = zoo64(x.double())
    torch.onnx.export(zoo64, x.double(), f"{OUT}/ops.f64.onnx", opset_version=17, input_names=["input"], output_names=names)
    tensors = {"input": x}
    tensors.update({f"f32.{n}": o for n, o in zip(names, outs)})
    tensors.update({f"f64.{n}": o for n, o in zip(names, outs64)})
    hand_built(tensors)
    save_safetensors(f"{OUT}/ops.ref.safetensors", tensors, {"outputs": str(len(outs))})


def hand_built(tensors):
    """Forms torch.onnx never writes, built with onnx.helper in float64 (expected values from
    PyTorch): auto_pad SAME_UPPER / SAME_LOWER / VALID, asymmetric pads, count_include_pad with
    asymmetric pads, Gemm with transA/transB/alpha/beta, a float16 initializer behind a Cast,
    negative-step Slice, Gather with negative 2-D indices, default Transpose, Squeeze/Unsqueeze
    with axes inputs, Constant attributes, Expand, HardSigmoid and LeakyRelu attributes; a second
    graph at opset 11 (Softmax-11's coercion to 2-D, Split and ReduceMean attributes) and a third
    at opset 20 (Gelu, both approximations)."""
    torch.manual_seed(301)
    dbl = torch.float64
    x = torch.randn(1, 2, 7, 6, dtype=dbl)
    w = torch.randn(3, 2, 3, 2, dtype=dbl)
    w16 = torch.randn(6, 3, dtype=dbl).half()
    gb = torch.randn(3, 14, dtype=dbl)
    gc = torch.randn(3, dtype=dbl)
    e1 = torch.randn(1, 1, 1, 6, dtype=dbl)
    i64 = lambda v, n: numpy_helper.from_array(np.array(v, dtype=np.int64), n)
    init = [numpy_helper.from_array(w.numpy(), "w"), numpy_helper.from_array(w16.numpy(), "w16"),
            numpy_helper.from_array(gb.numpy(), "gb"), numpy_helper.from_array(gc.numpy(), "gc"),
            numpy_helper.from_array(e1.numpy(), "e1"), i64([1, 2, 7, 6], "shape_x"),
            i64([-1], "neg1"), i64([-100], "neg100"), i64([3], "ax3"), i64([-2], "stepm2"),
            i64([[0, -1]], "gidx"), i64([0, 2], "ax02"), i64([1], "ax1")]
    nodes, expected = [], {}

    def out(name, node, value):
        nodes.append(node)
        expected[name] = value

    def same_pads(size, k, s, upper):  # ONNX auto_pad SAME_*: total = max(0, (ceil(size/s)-1)*s + k - size)
        total = max(0, (-(-size // s) - 1) * s + k - size)
        small, big = total // 2, total - total // 2
        return (small, big) if upper else (big, small)

    for mode, upper in (("SAME_UPPER", True), ("SAME_LOWER", False)):
        ph, pw = same_pads(7, 3, 2, upper), same_pads(6, 2, 2, upper)
        out(f"conv_{mode}", helper.make_node("Conv", ["x", "w"], [f"conv_{mode}"], auto_pad=mode, strides=[2, 2]),
            F.conv2d(F.pad(x, (pw[0], pw[1], ph[0], ph[1])), w, stride=2))
        ph, pw = same_pads(7, 3, 1, upper), same_pads(6, 2, 1, upper)
        out(f"maxpool_{mode}", helper.make_node("MaxPool", ["x"], [f"maxpool_{mode}"], auto_pad=mode, kernel_shape=[3, 2]),
            F.max_pool2d(F.pad(x, (pw[0], pw[1], ph[0], ph[1]), value=-float("inf")), (3, 2), stride=1))
    out("conv_VALID", helper.make_node("Conv", ["x", "w"], ["conv_VALID"], auto_pad="VALID", dilations=[2, 1]), F.conv2d(x, w, dilation=(2, 1)))
    # ONNX pads are [x1_begin, x2_begin, x1_end, x2_end] = [top, left, bottom, right].
    out("conv_asym", helper.make_node("Conv", ["x", "w"], ["conv_asym"], pads=[0, 2, 1, 0]), F.conv2d(F.pad(x, (2, 0, 0, 1)), w))
    out("maxpool_asym", helper.make_node("MaxPool", ["x"], ["maxpool_asym"], kernel_shape=[2, 3], pads=[1, 0, 0, 2], strides=[2, 2]),
        F.max_pool2d(F.pad(x, (0, 2, 1, 0), value=-float("inf")), (2, 3), stride=2))
    out("avgpool_asym_incl", helper.make_node("AveragePool", ["x"], ["avgpool_asym_incl"], kernel_shape=[3, 3], pads=[1, 0, 0, 1], count_include_pad=1),
        F.avg_pool2d(F.pad(x, (0, 1, 1, 0)), 3, stride=1))
    ones = torch.ones_like(x)
    out("avgpool_asym_excl", helper.make_node("AveragePool", ["x"], ["avgpool_asym_excl"], kernel_shape=[3, 3], pads=[1, 0, 0, 1]),
        F.avg_pool2d(F.pad(x, (0, 1, 1, 0)), 3, stride=1) / F.avg_pool2d(F.pad(ones, (0, 1, 1, 0)), 3, stride=1))
    nodes.append(helper.make_node("Flatten", ["x"], ["x_flat"], axis=3))
    xf = x.reshape(14, 6)
    out("gemm", helper.make_node("Gemm", ["x_flat", "gb", "gc"], ["gemm"], transA=1, transB=1, alpha=0.5, beta=2.0), 0.5 * xf.T @ gb.T + 2.0 * gc)
    nodes.append(helper.make_node("Cast", ["w16"], ["w16d"], to=TensorProto.DOUBLE))
    out("matmul_f16", helper.make_node("MatMul", ["x", "w16d"], ["matmul_f16"]), x @ w16.double())
    out("slice_neg_step", helper.make_node("Slice", ["x", "neg1", "neg100", "ax3", "stepm2"], ["slice_neg_step"]), x.flip(3)[..., ::2])
    out("gather_2d", helper.make_node("Gather", ["x", "gidx"], ["gather_2d"], axis=2), x[:, :, [[0, 6]], :])
    out("transpose_default", helper.make_node("Transpose", ["x"], ["transpose_default"]), x.permute(3, 2, 1, 0))
    nodes.append(helper.make_node("Unsqueeze", ["x", "ax02"], ["x_unsq"]))
    out("unsqueeze_13", helper.make_node("Identity", ["x_unsq"], ["unsqueeze_13"]), x[None, :, None])
    out("squeeze_13", helper.make_node("Squeeze", ["x_unsq", "ax02"], ["squeeze_13"]), x)
    nodes.append(helper.make_node("Constant", [], ["c_quarter"], value_float=0.25))
    nodes.append(helper.make_node("Cast", ["c_quarter"], ["c_quarter_d"], to=TensorProto.DOUBLE))
    out("mul_constant", helper.make_node("Mul", ["x", "c_quarter_d"], ["mul_constant"]), x * 0.25)
    nodes.append(helper.make_node("Expand", ["e1", "shape_x"], ["e1x"]))
    out("expand_add", helper.make_node("Add", ["x", "e1x"], ["expand_add"]), x + e1)
    out("hardsigmoid", helper.make_node("HardSigmoid", ["x"], ["hardsigmoid"], alpha=0.3, beta=0.4), torch.clamp(0.3 * x + 0.4, 0, 1))
    out("leakyrelu", helper.make_node("LeakyRelu", ["x"], ["leakyrelu"]), F.leaky_relu(x, 0.01))
    out("softmax_13", helper.make_node("Softmax", ["x"], ["softmax_13"], axis=1), torch.softmax(x, 1))
    out("dropout", helper.make_node("Dropout", ["x"], ["dropout"]), x)
    save_graph("ops-manual.onnx", nodes, init, expected, 13, tensors)

    nodes, expected = [], {}
    out("softmax_11", helper.make_node("Softmax", ["x"], ["softmax_11"], axis=1), torch.softmax(x.reshape(1, -1), 1).reshape(x.shape))
    nodes.append(helper.make_node("Split", ["x"], ["split_a", "split_b"], axis=2, split=[3, 4]))
    expected.update({"split_a": x[:, :, :3], "split_b": x[:, :, 3:]})
    out("reducemean_11", helper.make_node("ReduceMean", ["x"], ["reducemean_11"], axes=[1, 3], keepdims=0), x.mean(dim=(1, 3)))
    save_graph("ops-manual.opset11.onnx", nodes, [], expected, 11, tensors)

    nodes, expected = [], {}
    out("gelu", helper.make_node("Gelu", ["x"], ["gelu"]), F.gelu(x))
    out("gelu_tanh", helper.make_node("Gelu", ["x"], ["gelu_tanh"], approximate="tanh"), F.gelu(x, approximate="tanh"))
    save_graph("ops-manual.opset20.onnx", nodes, [], expected, 20, tensors)
    tensors["manual.input"] = x


def save_graph(file, nodes, init, expected, opset, tensors):
    outs = [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in expected]
    graph = helper.make_graph(nodes, file, [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [1, 2, 7, 6])], outs, init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="camlab onnx-fixtures.py")
    model.ir_version = 8
    onnx.save(model, f"{OUT}/{file}")
    for n, v in expected.items():
        tensors[f"manual.{n}"] = v


def external_fixture():
    """resnet18.onnx with its weights in a side file (external data), as large models are saved."""
    m = onnx.load(f"{OUT}/resnet18.onnx")
    if os.path.exists(f"{OUT}/resnet18-external.weights"):
        os.remove(f"{OUT}/resnet18-external.weights")  # onnx appends to an existing side file
    onnx.save_model(m, f"{OUT}/resnet18-external.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
                    location="resnet18-external.weights", size_threshold=512)


def preprocess_fixture():
    """torchvision's classification preprocessing of a seeded 150x100 RGBA picture (smooth colour
    fields, sharp edges, varying alpha), through PIL as torchvision's Resize does it: downscaling,
    upscaling, odd centre-crop offsets (Python rounds half to even), a crop larger than the image,
    ImageNet normalization and a grey ('L') variant. Stored as float32 (compared within 1/255)."""
    from PIL import Image
    from torchvision import transforms as T
    rng = np.random.default_rng(400)
    yy, xx = np.mgrid[0:100, 0:150]
    img = np.zeros((100, 150, 4), dtype=np.uint8)
    img[..., 0] = (127 + 127 * np.sin(xx / 9.0) * np.cos(yy / 6.0)).astype(np.uint8)
    img[..., 1] = ((xx * 255) // 149).astype(np.uint8)
    img[..., 2] = np.where((xx // 12 + yy // 12) % 2 == 0, 230, 20).astype(np.uint8)
    img[..., :3] = np.clip(img[..., :3].astype(int) + rng.integers(-20, 21, size=(100, 150, 3)), 0, 255).astype(np.uint8)
    img[..., 3] = ((yy * 255) // 99).astype(np.uint8)
    pil = Image.fromarray(img, "RGBA")
    pil.save(f"{OUT}/preprocess.png")
    recipes = {
        "down": (64, 56, [0.0] * 3, [1.0] * 3, "RGB"),
        "up": (128, 112, [0.0] * 3, [1.0] * 3, "RGB"),
        "odd": (50, 37, [0.0] * 3, [1.0] * 3, "RGB"),
        "imagenet": (64, 56, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], "RGB"),
        "pair": ((45, 35), (32, 25), [0.0] * 3, [1.0] * 3, "RGB"),
        "large_crop": (32, 40, [0.0] * 3, [1.0] * 3, "RGB"),
        "grey": (64, 56, [0.5], [0.25], "L"),
    }
    tensors, meta = {}, {}
    for name, (size, crop, mean, std, mode) in recipes.items():
        tf = T.Compose([T.Resize(size), T.CenterCrop(crop), T.ToTensor(), T.Normalize(mean, std)])
        tensors[name] = tf(pil.convert(mode))[None]
        meta[name] = json.dumps({"size": size, "crop": crop, "mean": mean, "std": std, "channels": 1 if mode == "L" else 3})
    save_safetensors(f"{OUT}/preprocess.ref.safetensors", tensors, meta)


def main():
    os.makedirs(OUT, exist_ok=True)
    arch_fixtures()
    ops_fixtures()
    external_fixture()
    preprocess_fixture()


if __name__ == "__main__":
    main()
