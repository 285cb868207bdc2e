#!/usr/bin/python3
"""Check an exported model directory (model.onnx + card.json): allowed operators, scope names of the card's
layers, and (with --torch-state + the train script's model) the PyTorch reference embedding of a photo,
written to JSON for tools/check_onnx_node.cjs (onnxruntime-node) to compare against.

    /usr/bin/python3 tools/verify_export.py resources/models/nyala-mbv2 \
        --state /tmp/runs/final/best.pth --photo /work/shared/data/nyala-train/100/124_leftphoto.jpg \
        --ref /tmp/ref.json
    node tools/check_onnx_node.cjs resources/models/nyala-mbv2/model.onnx /tmp/ref.json
"""
import argparse
import json
import os
import sys

import onnx
import torch
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_onnx import SUPPORTED_OPS, scope_prefix  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("--state", help="state dict of train_default_model.ReIDNet")
    ap.add_argument("--photo")
    ap.add_argument("--ref", default="/tmp/ref.json")
    args = ap.parse_args()
    card = json.load(open(os.path.join(args.model_dir, "card.json")))
    m = onnx.load(os.path.join(args.model_dir, card["file"]))
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    bad = [o for o in ops if o not in SUPPORTED_OPS]
    print("opset", [(o.domain, o.version) for o in m.opset_import])
    print("operators:", ops, "NOT ALLOWED: " + str(bad) if bad else "(all allowed)")
    names = [n.name for n in m.graph.node]
    for key in [card["defaultLayer"]] + card["layers"]:
        pre = scope_prefix(key)
        hits = [n for n in names if n.startswith(pre)]
        print(f"layer {key}: prefix {pre} -> {len(hits)} nodes, last {hits[-1] if hits else None}")
    print("input", m.graph.input[0].name, [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim])
    print("output", m.graph.output[0].name, [d.dim_param or d.dim_value for d in m.graph.output[0].type.tensor_type.shape.dim])
    if args.state and args.photo:
        from train_default_model import ReIDNet
        sd = torch.load(args.state, map_location="cpu")
        dim = sd["embed.weight"].shape[0]
        pool = "gem" if "pool.p" in sd else "avg"
        model = ReIDNet(dim, pool)
        model.load_state_dict(sd)
        model.eval()
        inp = card["input"]
        tf = transforms.Compose([
            transforms.Resize((inp["height"], inp["width"]), interpolation=transforms.InterpolationMode.BILINEAR),
            transforms.ToTensor(), transforms.Normalize(inp["mean"], inp["std"])])
        x = tf(Image.open(args.photo).convert("RGB"))[None]
        with torch.no_grad():
            e = model(x)[0]
        json.dump({"input": x.flatten().tolist(), "shape": list(x.shape), "embedding": e.tolist()}, open(args.ref, "w"))
        print(f"wrote {args.ref} (embedding norm {float(e.norm()):.3f})")


if __name__ == "__main__":
    main()
