#!/usr/bin/python3
"""Export a PyTorch re-ID model to ONNX + card.json for the PAIR-X workbench.

The model must map an image batch [N, 3, H, W] (RGB, scaled to 0..1 then normalised with mean/std) to an
embedding batch [N, D]; the workbench compares embeddings with cosine similarity, so do not L2-normalise
inside the model (it is harmless for matching but adds ops the relevance compiler may not support).

Sources (pick one):
  --python FILE --callable NAME   a Python file and a function or class in it that returns/constructs a
                                  torch.nn.Module (`--kwargs '{"dim": 256}'` passes keyword arguments)
  --torchscript FILE              a TorchScript file (torch.jit.save); note: scripted/traced modules
                                  may lose module scope names, so PAIR-X layers may not be selectable
  --timm NAME                     a timm model (needs `pip install timm`), built with num_classes=0
                                  (`--timm-kwargs '{"embed_dim": 96}'` passes further arguments)
  --preset NAME                   a published model through timm, with its input size, normalisation and
                                  PAIR-X layer in the card: megadescriptor-t-224, megadescriptor-b-224,
                                  megadescriptor-l-224, megadescriptor-l-384 (BVRA's animal re-ID Swin
                                  transformers), dinov2-vits14, dinov2-vitb14, dinov2-vitl14 and their
                                  -reg4 variants with register tokens (`--pool avg` for the mean of the
                                  patch tokens instead of the class token). Downloads the weights from the
                                  Hugging Face hub on first use (timm caches them); with --checkpoint the
                                  preset's architecture is built locally and the checkpoint loaded into it.
  --torchvision NAME              a torchvision architecture (swin_t, swin_s, swin_b, vit_b_16, vit_l_16,
                                  convnext_tiny, ...; vit_s_16 is built as ViT-S/16) with its classifier
                                  removed, random weights unless --checkpoint: for trying the workbench
  --checkpoint FILE               optional state dict loaded into the model (keys `state_dict`, `model`,
                                  `module.` prefixes are unwrapped)

The export uses opset 17, a dynamic batch axis, input name `image`, output name `embedding`, constant
folding and eval mode (batch norm folds into convolutions). It then lists the ONNX operators (warning about
any the workbench's relevance compiler does not support) and prints the module keys (PyTorch module paths,
e.g. `backbone.features.10`) that can be chosen as PAIR-X layers, with their output shapes.

Example:
  /usr/bin/python3 tools/export_onnx.py --python my_model.py --callable build_model \\
      --checkpoint best.pth --height 224 --width 224 --name my-reid --out-dir /tmp/my-reid \\
      --default-layer backbone.layer3
"""
import argparse
import importlib.util
import json
import os
import sys

import torch
import torch.nn as nn

# Operators the relevance compiler has rules for, on the path from the image to the embedding (what only
# computes shapes, masks or position indices never carries relevance and may use anything).
SUPPORTED_OPS = {"Conv", "Clip", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Gelu", "Elu",
                 "Selu", "Softplus", "PRelu", "Mish", "Celu", "Add", "Sub", "Mul", "Div", "Pow", "Erf",
                 "GlobalAveragePool", "AveragePool", "ReduceMean", "MaxPool", "GlobalMaxPool", "ReduceL2", "Max",
                 "Concat", "Split", "Slice", "Pad", "Gather", "Expand", "Tile", "Flatten", "Reshape", "Transpose",
                 "Squeeze", "Unsqueeze", "Gemm", "MatMul", "Constant", "Identity", "Dropout", "Cast",
                 "BatchNormalization", "LayerNormalization", "Softmax", "Shape", "Size"}

# name: (timm model, input size, mean, std, PAIR-X layer, description)
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
HALF = ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
PRESETS = {
    "megadescriptor-t-224": ("hf-hub:BVRA/MegaDescriptor-T-224", 224, *HALF, "layers.2",
                             "MegaDescriptor-T-224 (BVRA): Swin-T trained for animal re-identification"),
    "megadescriptor-b-224": ("hf-hub:BVRA/MegaDescriptor-B-224", 224, *HALF, "layers.2",
                             "MegaDescriptor-B-224 (BVRA): Swin-B trained for animal re-identification"),
    "megadescriptor-l-224": ("hf-hub:BVRA/MegaDescriptor-L-224", 224, *HALF, "layers.2",
                             "MegaDescriptor-L-224 (BVRA): Swin-L trained for animal re-identification"),
    "megadescriptor-l-384": ("hf-hub:BVRA/MegaDescriptor-L-384", 384, *HALF, "layers.2",
                             "MegaDescriptor-L-384 (BVRA): Swin-L trained for animal re-identification"),
}
# The timm architecture behind each hub model: with --checkpoint the preset is built from it, so that a
# fine-tuned (or any local) checkpoint needs no hub access at all (timm reads an hf-hub: model's config from
# the hub even when no weights are downloaded).
ARCHITECTURES = {
    "hf-hub:BVRA/MegaDescriptor-T-224": "swin_tiny_patch4_window7_224",
    "hf-hub:BVRA/MegaDescriptor-B-224": "swin_base_patch4_window7_224",
    "hf-hub:BVRA/MegaDescriptor-L-224": "swin_large_patch4_window7_224",
    "hf-hub:BVRA/MegaDescriptor-L-384": "swin_large_patch4_window12_384",
}
WIDTHS = {"s": "small", "b": "base", "l": "large"}
for size, blocks in (("s", 12), ("b", 12), ("l", 24)):
    for reg in ("", "_reg4"):
        layer = f"blocks.{-(-2 * blocks // 3) - 1}"  # two thirds of the depth
        PRESETS[f"dinov2-vit{size}14{reg.replace('_', '-')}"] = (
            f"vit_{WIDTHS[size]}_patch14{reg}_dinov2.lvd142m",
            224, *IMAGENET, layer, f"DINOv2 ViT-{size.upper()}/14{' with 4 registers' if reg else ''} (Meta), self-supervised")


# ------------------------------------------------------------------------------------------- loading
def load_python(path, name, kwargs):
    spec = importlib.util.spec_from_file_location("user_model", path)
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec.loader.exec_module(mod)
    obj = getattr(mod, name)
    model = obj(**kwargs)
    if not isinstance(model, nn.Module):
        raise SystemExit(f"{name}(...) returned {type(model).__name__}, not a torch.nn.Module")
    return model


def load_timm(name, pretrained=False, **kwargs):
    # timm's fused attention (scaled_dot_product_attention) exports as one opaque node on some PyTorch
    # versions; the explicit softmax(q·kᵀ)·v form is what the relevance compiler's attention rule reads.
    os.environ.setdefault("TIMM_FUSED_ATTN", "0")
    try:
        import timm  # noqa: F401  (optional dependency)
    except ImportError:
        raise SystemExit("--timm/--preset need the `timm` package (pip install timm); it is not installed here.")
    return timm.create_model(name, pretrained=pretrained, num_classes=0, **kwargs)


def load_torchvision(name):
    import torchvision
    if name == "vit_s_16":
        from torchvision.models.vision_transformer import VisionTransformer
        model = VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=6, hidden_dim=384,
                                  mlp_dim=1536)
    else:
        builder = getattr(torchvision.models, name, None)
        if builder is None:
            raise SystemExit(f"--torchvision: torchvision {torchvision.__version__} has no model '{name}'")
        model = builder()
    # The embedding is what the classifier would read: drop the classifier's last linear layer.
    if hasattr(model, "heads"):
        model.heads = nn.Identity()
    elif hasattr(model, "head"):
        model.head = nn.Identity()
    elif hasattr(model, "fc"):
        model.fc = nn.Identity()
    elif hasattr(model, "classifier") and isinstance(model.classifier, nn.Sequential):
        model.classifier[-1] = nn.Identity()
    return model


def load_checkpoint(model, path, strict):
    sd = torch.load(path, map_location="cpu")
    for key in ("state_dict", "model", "model_state_dict", "net"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
    if isinstance(sd, nn.Module):
        sd = sd.state_dict()
    sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
    missing, unexpected = model.load_state_dict(sd, strict=strict)
    if missing or unexpected:
        print(f"checkpoint: {len(missing)} missing keys, {len(unexpected)} unexpected keys "
              f"(e.g. {list(missing)[:3]} {list(unexpected)[:3]})")


class PickOutput(nn.Module):
    """Wraps a model whose forward returns a tuple/dict; module keys then start with `model.`."""

    def __init__(self, model, index):
        super().__init__()
        self.model, self.index = model, index

    def forward(self, x):
        y = self.model(x)
        if isinstance(y, dict):
            return y[self.index]
        return y[int(self.index)]


# ------------------------------------------------------------------------------------------ scopes
def scope_prefix(key):
    """PyTorch (>= 1.13) ONNX node-name prefix for a module key, e.g. 'backbone.features.4' ->
    '/backbone/features/features.4/' (numeric child names are appended to the enclosing name)."""
    comps = []
    for part in key.split("."):
        if part.isdigit() and comps:
            comps.append(comps[-1] + "." + part)
        else:
            comps.append(part)
    # a numeric part replaces nothing: each level gets its own component
    return "/" + "/".join(comps) + "/"


def module_shapes(model, height, width):
    shapes = {}
    hooks = []
    for key, m in model.named_modules():
        if not key:
            continue

        def hook(_m, _i, out, key=key):
            if torch.is_tensor(out):
                shapes[key] = list(out.shape)
        hooks.append(m.register_forward_hook(hook))
    with torch.no_grad():
        y = model(torch.zeros(1, 3, height, width))
    for h in hooks:
        h.remove()
    return shapes, y


def layer_keys(model, onnx_model, height, width):
    """Module keys whose scope prefix appears in the exported node names, with output shapes."""
    shapes, _ = module_shapes(model, height, width)
    names = [n.name for n in onnx_model.graph.node]
    out = []
    for key, shape in shapes.items():
        pre = scope_prefix(key)
        if any(n.startswith(pre) for n in names):
            out.append((key, shape))
    return out


# ------------------------------------------------------------------------------------------ export
def data_path_nodes(onnx_model):
    """Nodes whose outputs depend on the image's values (not only on its shape, through Shape)."""
    data = {i.name for i in onnx_model.graph.input}
    nodes = []
    for n in onnx_model.graph.node:
        if n.op_type not in ("Shape", "Size") and any(i in data for i in n.input):
            data.update(n.output)
            nodes.append(n)
    return nodes


def export_model(model, out_dir, height, width, card=None, file_name="model.onnx", verbose=True):
    """Export `model` (eval mode) to out_dir/model.onnx and write out_dir/card.json (if card is given).
    Returns (onnx path, list of (module key, output shape), set of op types)."""
    import onnx

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, file_name)
    model.eval()
    dummy = torch.zeros(1, 3, height, width)
    torch.onnx.export(model, dummy, path, opset_version=17, input_names=["image"], output_names=["embedding"],
                      dynamic_axes={"image": {0: "batch"}, "embedding": {0: "batch"}}, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    bad = sorted({n.op_type for n in data_path_nodes(m)} - SUPPORTED_OPS)
    keys = layer_keys(model, m, height, width) if isinstance(model, nn.Module) and not isinstance(
        model, torch.jit.ScriptModule) else []
    with torch.no_grad():
        dim = int(model(dummy)[0].numel())
    if verbose:
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB), {len(m.graph.node)} nodes")
        print("operators: " + ", ".join(ops))
        if bad:
            print("WARNING: operators not supported by the workbench's relevance (PAIR-X) compiler: "
                  + ", ".join(bad) + " (matching still works; explanations will not)")
        print(f"embedding dim: {dim}")
        print("module keys usable as PAIR-X layers (output shape at this input size):")
        for k, s in keys:
            print(f"  {k:50s} {s}")
    if card is not None:
        card = dict(card)
        card.setdefault("embedding", {})
        card["embedding"] = {**card["embedding"], "name": "embedding", "dim": dim}
        card["file"] = file_name
        if "onnx" not in card:
            card["onnx"] = {"opset": 17, "operators": ops, "sizeBytes": os.path.getsize(path)}
        with open(os.path.join(out_dir, "card.json"), "w") as f:
            json.dump(card, f, indent=2)
            f.write("\n")
        if verbose:
            print(f"wrote {os.path.join(out_dir, 'card.json')}")
    return path, keys, set(ops)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--python", help="Python file defining the model")
    src.add_argument("--torchscript", help="TorchScript file")
    src.add_argument("--timm", help="timm model name")
    src.add_argument("--preset", choices=sorted(PRESETS), help="a published model through timm (see above)")
    src.add_argument("--torchvision", help="torchvision architecture (random weights unless --checkpoint)")
    ap.add_argument("--pool", choices=["token", "avg"], help="--preset dinov2-*: class token (default) or mean "
                    "of the patch tokens as the embedding")
    ap.add_argument("--callable", help="function or class in --python that returns the nn.Module")
    ap.add_argument("--kwargs", default="{}", help="JSON keyword arguments for --callable")
    ap.add_argument("--timm-kwargs", default="{}", help="JSON keyword arguments for timm.create_model (--timm)")
    ap.add_argument("--checkpoint", help="state dict to load into the model")
    ap.add_argument("--non-strict", action="store_true", help="load the checkpoint with strict=False")
    ap.add_argument("--output-index", help="if forward returns a tuple/dict: which element is the embedding")
    ap.add_argument("--height", type=int)
    ap.add_argument("--width", type=int)
    ap.add_argument("--mean", type=float, nargs=3)
    ap.add_argument("--std", type=float, nargs=3)
    ap.add_argument("--name", help="model name in the card (default: the preset's, else my-reid-model)")
    ap.add_argument("--description", default="")
    ap.add_argument("--embedding-name", default="embedding", help="(the output is always named `embedding`)")
    ap.add_argument("--default-layer", help="module key used for PAIR-X by default (see the printed list)")
    ap.add_argument("--layers", nargs="*", help="candidate module keys offered in the workbench")
    ap.add_argument("--data-credit", default="", help="training data credit for the card")
    ap.add_argument("--license", default="", help="license of the weights")
    ap.add_argument("--out-dir", required=True)
    args = ap.parse_args()

    preset = PRESETS.get(args.preset) if args.preset else None
    if preset:
        timm_name, size, mean, std, layer, description = preset
        args.height = args.height or size
        args.width = args.width or size
        args.mean, args.std = args.mean or mean, args.std or std
        args.default_layer = args.default_layer or layer
        args.name = args.name or args.preset
        args.description = args.description or description
        args.license = args.license or ("CC-BY-NC-4.0 (BVRA)" if "BVRA" in timm_name else "Apache-2.0 (Meta)")
    args.height, args.width = args.height or 224, args.width or 224
    args.mean, args.std = args.mean or IMAGENET[0], args.std or IMAGENET[1]
    args.name = args.name or "my-reid-model"
    if args.python:
        if not args.callable:
            ap.error("--python needs --callable")
        model = load_python(args.python, args.callable, json.loads(args.kwargs))
    elif args.torchscript:
        model = torch.jit.load(args.torchscript, map_location="cpu")
    elif preset:
        extra = {"img_size": args.height} if args.preset.startswith("dinov2") else {}
        if args.pool:
            extra["global_pool"] = args.pool
        name = ARCHITECTURES.get(preset[0], preset[0]) if args.checkpoint else preset[0]
        model = load_timm(name, pretrained=not args.checkpoint, **extra)
    elif args.torchvision:
        model = load_torchvision(args.torchvision)
    else:
        model = load_timm(args.timm, **json.loads(args.timm_kwargs))
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, strict=not args.non_strict)
    if args.output_index is not None:
        model = PickOutput(model, args.output_index)
    model.eval()
    with torch.no_grad():
        y = model(torch.zeros(2, 3, args.height, args.width))
    # [batch, dim], or [batch, dim, 1, 1] where a pooling's output is returned as it is (a classifier
    # replaced by Identity): the workbench reads that as [batch, dim].
    if not torch.is_tensor(y) or y.dim() < 2 or any(d != 1 for d in y.shape[2:]):
        raise SystemExit(f"the model must return a [batch, dim] tensor; got "
                         f"{type(y).__name__} {getattr(y, 'shape', '')} (use --output-index?)")

    card = {
        "name": args.name,
        "description": args.description or f"{args.name}: re-ID embedding model exported with tools/export_onnx.py",
        "file": "model.onnx",
        "input": {"name": "image", "width": args.width, "height": args.height, "mean": args.mean,
                  "std": args.std, "channelOrder": "RGB", "resize": "bilinear"},
        "embedding": {"name": "embedding", "dim": int(y[0].numel())},
        "source": {"data": args.data_credit, "init": "", "license": args.license},
    }
    path, keys, ops = export_model(model, args.out_dir, args.height, args.width, card=None)
    key_names = [k for k, _ in keys]
    if args.default_layer and args.default_layer not in key_names:
        print(f"WARNING: --default-layer {args.default_layer} is not among the module keys above")
    default = args.default_layer
    if default is None:
        # One rule for every model: the workbench's (README, "Default layer"), which `pairx layers` shows.
        print("default layer (not given): the workbench's rule (see README: Default layer; `pairx layers` marks it)")
    if default:
        card["defaultLayer"] = default
        card["layers"] = args.layers or [default]
    if args.preset:
        card["source"] = {**card["source"], "model": preset[0], "preset": args.preset}
        if args.checkpoint:
            # The preset's architecture with the user's weights, not the published ones.
            card["source"].update(model=ARCHITECTURES.get(preset[0], preset[0]), checkpoint=os.path.basename(args.checkpoint))
            card["description"] = f"{card['description']}; weights from {os.path.basename(args.checkpoint)}"
    card["onnx"] = {"opset": 17, "operators": sorted(ops), "sizeBytes": os.path.getsize(path)}
    with open(os.path.join(args.out_dir, "card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.join(args.out_dir, 'card.json')}")


if __name__ == "__main__":
    main()
