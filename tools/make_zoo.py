#!/usr/bin/python3
"""Rebuilds the test zoo (test/fixtures/zoo): scaled-down, random-weight models of the families re-ID
users bring, exported the ways they export them, for test/zoo/*.test.ts.

    PYTHONPATH=/work/timm-src flock /tmp/pairx-cpu.lock /usr/bin/python3 tools/make_zoo.py --out test/fixtures/zoo

timm is imported from PYTHONPATH (its source, not a copy in this project). Per family (tools/zoo_models.py)
five exports of the same weights:

  bare        torch.onnx.export(model, x, path) with PyTorch's defaults: opset 14 (layer norms decomposed),
              a fixed batch of 1, generic tensor names; no card
  bare-l2     the bare network with an L2-normalised output (F.normalize in its forward), opset 17,
              dynamic batch
  wrapped     inside a re-ID module (`backbone.`), opset 17, fixed batch
  wrapped-l2  inside a re-ID module with an L2-normalised output, opset 17, dynamic batch
  tools       tools/export_onnx.py (--timm NAME --timm-kwargs, or --python tools/zoo_models.py) with a random
              --checkpoint of the same architecture: opset 17, card.json

and zoo.json, the list the tests read. Everything is seeded: a rebuild writes the same weights.

`--full` writes the families at full size (ViT-B/16, Swin-B, MegaDescriptor-T-224 and -L-384 through the
presets with a random checkpoint, EfficientNetV2-rw-m at 440, ...) through tools/export_onnx.py into a
cache folder outside the repository (default /tmp/pairx-bench-models/zoo) for bench/zoo.bench.ts.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_models import FAMILIES, ReidWrapper, build, with_normalised_output  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DYNAMIC = {"image": {0: "batch"}, "embedding": {0: "batch"}}


def export(model, path, size, opset=17, dynamic=True, names=True):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    dummy = torch.zeros(1, 3, size, size)
    kwargs = {"opset_version": opset, "do_constant_folding": True}
    if names:
        kwargs.update(input_names=["image"], output_names=["embedding"])
    if dynamic:
        kwargs["dynamic_axes"] = DYNAMIC
    # Not under torch.no_grad(): there, PyTorch 1.13 takes nn.MultiheadAttention's fused fast path, which
    # its exporter cannot write (as users who export under no_grad find out).
    torch.onnx.export(model, dummy, path, **kwargs)


FULL_OUT = "/tmp/pairx-bench-models/zoo"
# How tools/export_onnx.py reaches each family at full size: its presets where one exists (with a random
# checkpoint of the preset's architecture, so no hub download), else --torchvision, --timm or --python.
FULL_SOURCES = {
    "tv-resnet": ["--torchvision", "resnet50"],
    "tv-efficientnet": ["--torchvision", "efficientnet_b0"],
    "tv-convnext": ["--python", os.path.join(HERE, "zoo_models.py"), "--callable", "build",
                    "--kwargs", json.dumps({"family": "tv-convnext", "full": True})],
    "tv-swin": ["--torchvision", "swin_b"],
    "tv-vit": ["--torchvision", "vit_b_16"],
    "timm-vit": ["--timm", "vit_base_patch16_224"],
    "timm-dinov2-reg": ["--preset", "dinov2-vits14-reg4"],
    "timm-swin": ["--preset", "megadescriptor-t-224"],
    "timm-swin-384": ["--preset", "megadescriptor-l-384"],
    "timm-convnext": ["--timm", "convnext_tiny"],
    "timm-efficientnetv2": ["--timm", "efficientnetv2_rw_m"],
}


def export_full(out, families):
    tmp = tempfile.mkdtemp(prefix="pairx-zoo-full-")
    try:
        for family in families:
            size = FAMILIES[family][1]
            print(f"{family} at full size ({size} px)", flush=True)
            checkpoint = os.path.join(tmp, f"{family}.pth")
            torch.save(build(family, full=True).state_dict(), checkpoint)
            command = [sys.executable, os.path.join(HERE, "export_onnx.py"), *FULL_SOURCES[family], "--checkpoint", checkpoint,
                       "--height", str(size), "--width", str(size), "--name", f"{family}-full", "--out-dir", os.path.join(out, family)]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            os.remove(checkpoint)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {len(families)} full-size models to {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "test", "fixtures", "zoo"))
    ap.add_argument("--only", nargs="*", help="families to rebuild (default: all)")
    ap.add_argument("--full", action="store_true", help="the full-size models of the benchmark instead (bench/zoo.bench.ts), "
                    "through tools/export_onnx.py only; --out defaults to /tmp/pairx-bench-models/zoo")
    args = ap.parse_args()
    if args.full:
        return export_full(os.path.abspath(args.out if args.out != ap.get_default("out") else FULL_OUT), args.only or list(FAMILIES))
    out = os.path.abspath(args.out)
    manifest_path = os.path.join(out, "zoo.json")
    entries = json.load(open(manifest_path))["models"] if os.path.exists(manifest_path) else []
    families = args.only or list(FAMILIES)
    entries = [e for e in entries if e["family"] not in families]
    tmp = tempfile.mkdtemp(prefix="pairx-zoo-")
    try:
        for family in families:
            size, _, how, description = FAMILIES[family]
            print(f"{family}: {description}", flush=True)
            checkpoint = os.path.join(tmp, f"{family}.pth")
            torch.save(build(family).state_dict(), checkpoint)
            shutil.rmtree(os.path.join(out, family), ignore_errors=True)
            variants = {
                "bare": (lambda: build(family), {"opset": 14, "dynamic": False, "names": False}),
                "bare-l2": (lambda: with_normalised_output(build(family)), {}),
                "wrapped": (lambda: ReidWrapper(build(family), normalise=False), {"dynamic": False}),
                "wrapped-l2": (lambda: ReidWrapper(build(family), normalise=True), {}),
            }
            for variant, (make, options) in variants.items():
                export(make().eval(), os.path.join(out, family, variant, "model.onnx"), size, **options)
                entries.append({"family": family, "variant": variant, "dir": f"{family}/{variant}", "size": size,
                                "exporter": "torch.onnx.export", "opset": options.get("opset", 17),
                                "dynamicBatch": options.get("dynamic", True), "wrapped": variant.startswith("wrapped"),
                                "l2": variant.endswith("l2"), "description": description})
            command = [sys.executable, os.path.join(HERE, "export_onnx.py"), "--checkpoint", checkpoint,
                       "--height", str(size), "--width", str(size), "--name", f"zoo-{family}",
                       "--out-dir", os.path.join(out, family, "tools")]
            if how[0] == "timm":
                command += ["--timm", how[1], "--timm-kwargs", json.dumps(how[2])]
            else:
                command += ["--python", os.path.join(HERE, "zoo_models.py"), "--callable", "build",
                            "--kwargs", json.dumps({"family": family})]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            entries.append({"family": family, "variant": "tools", "dir": f"{family}/tools", "size": size,
                            "exporter": "tools/export_onnx.py", "opset": 17, "dynamicBatch": True, "wrapped": False,
                            "l2": False, "description": description})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    order = {name: i for i, name in enumerate(FAMILIES)}
    variants = ["bare", "bare-l2", "wrapped", "wrapped-l2", "tools"]
    entries.sort(key=lambda e: (order[e["family"]], variants.index(e["variant"])))
    with open(manifest_path, "w") as f:
        json.dump({"generator": "tools/make_zoo.py", "torch": torch.__version__, "models": entries}, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(out) for name in names)
    print(f"wrote {len(entries)} models to {out} ({total / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
