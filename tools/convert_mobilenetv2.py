#!/usr/bin/python3
"""Dequantise the ONNX Model Zoo's int8 MobileNetV2 into torchvision `mobilenet_v2()` float weights.

The int8 graph (`mobilenetv2-12-int8.onnx`, Apache-2.0) was exported from torchvision's mobilenet_v2
with batch norm folded into the convolutions, so its 52 QLinearConv nodes appear in the same order and
with the same shapes as the model's Conv2d modules. For each of them:

    conv.weight = (w_int8 - w_zero_point) * w_scale        (scales per output channel)
    bias        = b_int32 * x_scale * w_scale              (the folded batch-norm bias)

and the following BatchNorm2d gets weight 1, bias = that bias, running mean 0, running var 1 - eps, so
that it computes exactly `x + bias`. The classifier comes from QLinearMatMul + QLinearAdd.

Usage:
    /usr/bin/python3 tools/convert_mobilenetv2.py \
        --onnx /work/shared/models/mobilenetv2-12-int8.onnx --out /tmp/mobilenetv2_float.pth \
        [--check /work/shared/data/nyala-train/100/124_leftphoto.jpg]
"""
import argparse

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper


def dequantise(onnx_path):
    model = onnx.load(onnx_path)
    g = model.graph
    init = {i.name: numpy_helper.to_array(i) for i in g.initializer}

    net = torchvision.models.mobilenet_v2()
    convs = [(n, m) for n, m in net.named_modules() if isinstance(m, torch.nn.Conv2d)]
    mods = dict(net.named_modules())
    qconvs = [n for n in g.node if n.op_type == "QLinearConv"]
    assert len(qconvs) == len(convs) == 52, (len(qconvs), len(convs))

    sd = net.state_dict()
    for node, (name, conv) in zip(qconvs, convs):
        x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp = node.input[:8]
        wq = init[w].astype(np.float32)
        ws = init[w_scale].astype(np.float32)
        wz = init[w_zp].astype(np.float32)
        assert wq.shape == tuple(conv.weight.shape), (name, wq.shape, conv.weight.shape)
        bshape = (-1, 1, 1, 1)
        wf = (wq - np.reshape(wz, bshape) if wz.size > 1 else wq - wz) * (np.reshape(ws, bshape) if ws.size > 1 else ws)
        sd[name + ".weight"] = torch.from_numpy(wf.astype(np.float32))
        if len(node.input) > 8 and node.input[8]:
            bq = init[node.input[8]].astype(np.float64)
            xs = float(init[x_scale]) if x_scale in init else None
            if xs is None:
                # activation scale produced by a preceding node: all scales are initializers in this file
                raise RuntimeError(f"scale {x_scale} is not an initializer")
            bf = (bq * xs * ws.astype(np.float64)).astype(np.float32)
        else:
            bf = np.zeros(wq.shape[0], np.float32)
        # the BatchNorm2d that follows the conv: torchvision names it <block>.<i+1>
        parent, idx = name.rsplit(".", 1)
        bn_name = f"{parent}.{int(idx) + 1}"
        bn = mods[bn_name]
        assert isinstance(bn, torch.nn.BatchNorm2d), bn_name
        sd[bn_name + ".weight"] = torch.ones_like(bn.weight)
        sd[bn_name + ".bias"] = torch.from_numpy(bf)
        sd[bn_name + ".running_mean"] = torch.zeros_like(bn.running_mean)
        sd[bn_name + ".running_var"] = torch.full_like(bn.running_var, 1.0 - bn.eps)

    mm = [n for n in g.node if n.op_type == "QLinearMatMul"][0]
    a, a_s, a_z, b, b_s, b_z = mm.input[:6]
    wq = init[b].astype(np.float32)
    wf = (wq - init[b_z].astype(np.float32)) * init[b_s].astype(np.float32)
    if wf.shape == (1280, 1000):
        wf = wf.T
    sd["classifier.1.weight"] = torch.from_numpy(np.ascontiguousarray(wf, dtype=np.float32))
    add = [n for n in g.node if n.op_type == "QLinearAdd" and "classifier.1.bias_quantized" in n.input][0]
    bq = init["classifier.1.bias_quantized"].astype(np.float32)
    bf = (bq - init["classifier.1.bias_zero_point"].astype(np.float32)) * init["classifier.1.bias_scale"].astype(np.float32)
    sd["classifier.1.bias"] = torch.from_numpy(bf.astype(np.float32))
    net.load_state_dict(sd)
    return net


def top_classes(net, image_path, k=5):
    from PIL import Image
    from torchvision import transforms

    tf = transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    x = tf(Image.open(image_path).convert("RGB"))[None]
    net.eval()
    with torch.no_grad():
        p = net(x).softmax(-1)[0]
    cats = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"]
    v, i = p.topk(k)
    return [(cats[j], float(s)) for s, j in zip(v, i)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", default="/work/shared/models/mobilenetv2-12-int8.onnx")
    ap.add_argument("--out", default="/tmp/mobilenetv2_float.pth")
    ap.add_argument("--check", nargs="*", default=[], help="photos to classify with the float model")
    args = ap.parse_args()
    net = dequantise(args.onnx)
    torch.save(net.state_dict(), args.out)
    print(f"wrote {args.out}")
    for p in args.check:
        print(p, ", ".join(f"{c} {s:.2f}" for c, s in top_classes(net, p)))


if __name__ == "__main__":
    main()
