#!/usr/bin/python3
"""The model families of the test zoo (tools/make_zoo.py), scaled down or at full size, random weights.

Each family is a torchvision or timm architecture built the way its users build it: torchvision's own
classes (`VisionTransformer`, `SwinTransformer`, `ConvNeXt`, `EfficientNet`, `ResNet`) with smaller
widths and depths, timm's registered models with `timm.create_model(name, pretrained=False, **kwargs)`.
timm is imported from PYTHONPATH (e.g. PYTHONPATH=/work/timm-src); it is never copied into this project.

`build(family, full=False)` returns the bare network (classifier removed, as a re-ID backbone is used);
`tools/export_onnx.py --python tools/zoo_models.py --callable build --kwargs '{"family": "tv-vit"}'` exports
one. `FAMILIES` says, per family, the input size, which exporter flag reaches it in `tools/export_onnx.py`,
and its full-size counterpart for the benchmark (bench/zoo.bench.ts).
"""
import os

import torch
import torch.nn as nn

os.environ.setdefault("TIMM_FUSED_ATTN", "0")

# family: (input size, full-size input size, how tools/export_onnx.py builds it, description)
#   how: ("python",) through this file, ("timm", name, kwargs) through --timm NAME --timm-kwargs JSON.
FAMILIES = {
    "tv-resnet": (128, 224, ("python",), "torchvision ResNet (BasicBlock), stage widths / 16; full size: ResNet-50"),
    "tv-efficientnet": (128, 224, ("python",), "torchvision EfficientNet-B0, width 0.1, depth 0.34; full: B0"),
    "tv-convnext": (128, 224, ("python",), "torchvision ConvNeXt, widths 4-32, classifier = Identity (output [B, C, 1, 1]); full: ConvNeXt-T"),
    "tv-swin": (224, 224, ("python",), "torchvision Swin (window 7 at 224), widths 4-32; full: Swin-B"),
    "tv-vit": (96, 224, ("python",), "torchvision ViT/16 (nn.MultiheadAttention), width 16, 8 blocks; full: ViT-B/16"),
    "timm-vit": (96, 224, ("timm", "vit_base_patch16_224", {"embed_dim": 16, "depth": 4, "num_heads": 2, "img_size": 96}),
                 "timm ViT-B/16 scaled to width 16, 4 blocks; full: ViT-B/16"),
    "timm-dinov2-reg": (98, 224, ("timm", "vit_small_patch14_reg4_dinov2", {"embed_dim": 16, "depth": 4, "num_heads": 2, "img_size": 98}),
                        "timm DINOv2 ViT-S/14 with 4 registers, width 16, 4 blocks; full: ViT-S/14-reg4 at 224"),
    "timm-swin": (224, 224, ("timm", "swin_tiny_patch4_window7_224", {"embed_dim": 4, "depths": [1, 2, 2, 1], "num_heads": [1, 1, 2, 2]}),
                  "timm Swin (MegaDescriptor-T's architecture), window 7 at 224, widths 4-32; full: Swin-T (MegaDescriptor-T-224 preset)"),
    "timm-swin-384": (384, 384, ("timm", "swin_base_patch4_window12_384", {"embed_dim": 4, "depths": [1, 1, 2, 1], "num_heads": [1, 1, 1, 2]}),
                      "timm Swin at 384 with window 12 (MegaDescriptor-L-384's shape), widths 4-32; full: Swin-L-384 (MegaDescriptor-L-384 preset)"),
    "timm-convnext": (128, 224, ("timm", "convnext_atto", {"dims": [4, 8, 16, 32], "depths": [1, 1, 2, 1]}),
                      "timm ConvNeXt (atto, widths 4-32); full: ConvNeXt-T"),
    "timm-efficientnetv2": (160, 440, ("python",), "timm EfficientNetV2-rw-m (MiewID's backbone), width 0.1, depth 0.2; full: rw-m at 440"),
}


def _torchvision(family, full):
    import torchvision
    from functools import partial
    if family == "tv-resnet":
        if full:
            model = torchvision.models.resnet50()
        else:
            from torchvision.models.resnet import BasicBlock, ResNet

            class NarrowResNet(ResNet):
                """torchvision's ResNet with every stage's width divided by 16 (the stem keeps 64)."""

                def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
                    return super()._make_layer(block, planes // 16, blocks, stride, dilate)

            model = NarrowResNet(BasicBlock, [1, 1, 1, 1])
        model.fc = nn.Identity()
    elif family == "tv-efficientnet":
        if full:
            model = torchvision.models.efficientnet_b0()
        else:
            from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf
            settings, last = _efficientnet_conf("efficientnet_b0", width_mult=0.1, depth_mult=0.34)
            model = EfficientNet(settings, 0.2, last_channel=last)
        model.classifier = nn.Identity()
    elif family == "tv-convnext":
        if full:
            model = torchvision.models.convnext_tiny()
        else:
            from torchvision.models.convnext import CNBlockConfig, ConvNeXt
            model = ConvNeXt([CNBlockConfig(4, 8, 1), CNBlockConfig(8, 16, 1), CNBlockConfig(16, 32, 2),
                              CNBlockConfig(32, None, 1)])
        # As users drop ConvNeXt's head: the whole classifier (LayerNorm2d, Flatten, Linear), which leaves
        # the average pooling's [B, C, 1, 1] as the output.
        model.classifier = nn.Identity()
    elif family == "tv-swin":
        if full:
            model = torchvision.models.swin_b()
        else:
            from torchvision.models.swin_transformer import SwinTransformer
            model = SwinTransformer(patch_size=[4, 4], embed_dim=4, depths=[1, 2, 2, 1], num_heads=[1, 1, 2, 2],
                                    window_size=[7, 7])
        model.head = nn.Identity()
    elif family == "tv-vit":
        from torchvision.models.vision_transformer import VisionTransformer
        if full:
            model = torchvision.models.vit_b_16()
        else:
            model = VisionTransformer(image_size=96, patch_size=16, num_layers=8, num_heads=2, hidden_dim=16, mlp_dim=32)
        model.heads = nn.Identity()
    else:
        raise ValueError(family)
    return model


def _timm(family, full):
    import timm
    how = FAMILIES[family][2]
    if family == "timm-efficientnetv2":
        if full:
            return timm.create_model("efficientnetv2_rw_m", pretrained=False, num_classes=0)
        from timm.models.efficientnet import _gen_efficientnetv2_s
        return _gen_efficientnetv2_s("efficientnetv2_rw_m", channel_multiplier=0.1, depth_multiplier=0.2, rw=True,
                                     pretrained=False, num_classes=0)
    _, name, kwargs = how
    if full:
        full_names = {"timm-vit": "vit_base_patch16_224", "timm-dinov2-reg": "vit_small_patch14_reg4_dinov2",
                      "timm-swin": "swin_tiny_patch4_window7_224", "timm-swin-384": "swin_large_patch4_window12_384",
                      "timm-convnext": "convnext_tiny"}
        extra = {"img_size": 224} if family == "timm-dinov2-reg" else {}
        return timm.create_model(full_names[family], pretrained=False, num_classes=0, **extra)
    return timm.create_model(name, pretrained=False, num_classes=0, **kwargs)


def build(family, full=False, seed=0):
    """The family's bare network with random weights (seeded), classifier removed."""
    torch.manual_seed(seed)
    model = _torchvision(family, full) if family.startswith("tv-") else _timm(family, full)
    return model.eval()


class ReidWrapper(nn.Module):
    """A re-ID model as users wrap a backbone: `backbone` (+ an optional L2-normalised output)."""

    def __init__(self, backbone, normalise):
        super().__init__()
        self.backbone = backbone
        self.normalise = normalise

    def forward(self, x):
        y = self.backbone(x)
        return nn.functional.normalize(y, dim=1) if self.normalise else y


def with_normalised_output(model):
    """The bare network with an L2-normalised output and no module around it (its forward replaced), so
    that its module paths stay those of the bare network."""
    import types
    forward = model.forward

    def normalised(self, x):
        return nn.functional.normalize(forward(x), dim=1)

    model.forward = types.MethodType(normalised, model)
    return model
