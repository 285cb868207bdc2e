#!/usr/bin/python3
"""Train the default re-ID model (`nyala-mbv2`) on the Nyala photos, on a CPU.

MobileNetV2 (ImageNet, dequantised from the ONNX Model Zoo int8 model by tools/convert_mobilenetv2.py)
-> GeM (or average) pooling -> Linear embedding -> BatchNorm1d. Trained with sub-center ArcFace and/or
batch-hard triplet loss on (individual, flank side) classes; about 20 % of the individuals (not photos)
are held out, and every epoch each held-out photo is used as a query against all other held-out photos of
the same flank side (rank-1, mAP). The best epoch by held-out (rank-1 + mAP) / 2 is kept.

CPU speed: on a CPU the backward pass through MobileNetV2's first, high-resolution depthwise blocks costs
~20x more than the rest of the network, so blocks features.0 .. features.<cache_at - 1> are frozen and
their outputs are computed once for several augmented views of every photo (random resized crop, small
rotation, colour jitter; no horizontal flip: left and right flanks differ) and cached in memory (float16).
Training then runs features.<cache_at> .. features.18 + head on the cached tensors. Backbone batch-norm
layers stay in eval mode (the converted weights have batch norm folded into the convolutions), so they
act as per-channel affine layers.

Example (the shipped model; see tools/TRAINING.md for the recipes compared):
    /usr/bin/python3 tools/convert_mobilenetv2.py --out /tmp/mobilenetv2_float.pth
    nice -n 10 /usr/bin/python3 tools/train_default_model.py --height 224 --width 288 \
        --loss triplet --lr 1.5e-4 --epochs 20 --run-dir /tmp/runs/e5_tri_224_lr15 \
        --export-dir resources/models/nyala-mbv2
"""
import os
import sys

# Large tensors are otherwise mmap'd and unmapped by glibc malloc on every allocation; on some machines
# (sandboxes, VMs) the page faults make CPU training ~10x slower. Re-exec with higher malloc thresholds.
if os.environ.get("MALLOC_MMAP_THRESHOLD_") is None and __name__ == "__main__":
    os.environ["MALLOC_MMAP_THRESHOLD_"] = "4000000000"
    os.environ["MALLOC_TRIM_THRESHOLD_"] = "4000000000"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse
import csv
import json
import math
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image
from torchvision import transforms

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


# --------------------------------------------------------------------------------------------- model
class Backbone(nn.Module):
    """Holds torchvision's MobileNetV2 `features`, so module keys read `backbone.features.N`."""

    def __init__(self):
        super().__init__()
        self.features = torchvision.models.mobilenet_v2().features

    def forward(self, x):  # called as a module so that ONNX node names carry the `/backbone/` scope
        return self.features(x)


class GeM(nn.Module):
    """Generalised-mean pooling: (mean(x^p))^(1/p). Exports as Clip, Pow, GlobalAveragePool, Pow."""

    def __init__(self, p=3.0, eps=1e-6):
        super().__init__()
        self.p = nn.Parameter(torch.tensor(float(p)))
        self.eps = eps

    def forward(self, x):
        p = self.p
        if torch.onnx.is_in_onnx_export():
            p = float(p.detach())  # constant exponents in the exported graph: Pow only, no Reciprocal/Mul
        return F.adaptive_avg_pool2d(x.clamp(min=self.eps).pow(p), 1).pow(1.0 / p)


class AvgPool(nn.Module):
    def forward(self, x):
        return F.adaptive_avg_pool2d(x, 1)


class ReIDNet(nn.Module):
    """backbone -> pooling -> Linear -> BatchNorm1d. With `mid_at` set, the output of features.<mid_at> is
    pooled too (its own GeM) and concatenated before the Linear layer: mid-level stripes beside the final
    1280-d features."""

    def __init__(self, dim=256, pool="gem", mid_at=None):
        super().__init__()
        self.backbone = Backbone()
        self.pool = GeM() if pool == "gem" else AvgPool()
        self.mid_at = mid_at
        width = 1280
        if mid_at is not None:
            self.pool_mid = GeM() if pool == "gem" else AvgPool()
            width += self.backbone.features[mid_at].out_channels
            # a hook, not a split forward: the backbone stays one module call, so ONNX node names keep
            # their /backbone/features/features.N/ scopes (the workbench finds PAIR-X layers by them)
            self._taps = {}
            self.backbone.features[mid_at].register_forward_hook(lambda _m, _i, out: self._taps.__setitem__("mid", out))
        self.embed = nn.Linear(width, dim)
        self.bn = nn.BatchNorm1d(dim)
        nn.init.normal_(self.embed.weight, std=0.01)
        nn.init.zeros_(self.embed.bias)

    def neck(self, f):
        """(embedding before the BatchNorm1d, after it); the one after it is the exported embedding."""
        v = torch.flatten(self.pool(f), 1)
        if self.mid_at is not None:
            v = torch.cat([v, torch.flatten(self.pool_mid(self._taps.pop("mid")), 1)], 1)
        pre = self.embed(v)
        return pre, self.bn(pre)

    def head(self, f):
        return self.neck(f)[1]

    def features_from(self, z, start):
        for blk in self.backbone.features[start:]:
            z = blk(z)
        return z

    def forward_from(self, z, start):
        return self.head(self.features_from(z, start))

    def forward(self, x):
        # No L2 normalisation here: cosine similarity is taken outside the graph.
        return self.head(self.backbone(x))


def load_init(model, init_path):
    sd = torch.load(init_path, map_location="cpu")
    feats = {k[len("features."):]: v for k, v in sd.items() if k.startswith("features.")}
    model.backbone.features.load_state_dict(feats)


def set_backbone_bn_eval(model):
    for m in model.backbone.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


# ---------------------------------------------------------------------------------------------- data
def read_annotations(data_dir):
    with open(os.path.join(data_dir, "annotations.csv")) as f:
        return list(csv.DictReader(f))


def split_individuals(rows, frac, seed):
    names = sorted({r["name"] for r in rows})
    rng = random.Random(seed)
    rng.shuffle(names)
    held = sorted(names[: int(round(frac * len(names)))])
    return held


def plain_transform(h, w):
    return transforms.Compose([
        transforms.Resize((h, w), interpolation=transforms.InterpolationMode.BILINEAR),
        transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


def aug_transform(h, w, scale_min, rot):
    ar = w / h
    return transforms.Compose([
        transforms.RandomRotation(rot, interpolation=transforms.InterpolationMode.BILINEAR,
                                  fill=(124, 116, 104)),
        transforms.RandomResizedCrop((h, w), scale=(scale_min, 1.0), ratio=(ar * 0.8, ar * 1.25),
                                     interpolation=transforms.InterpolationMode.BILINEAR),
        transforms.ColorJitter(0.3, 0.3, 0.25, 0.03),
        transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


class ViewSet(torch.utils.data.Dataset):
    def __init__(self, images, tf, n_views, seed):
        self.images, self.tf, self.n_views, self.seed = images, tf, n_views, seed

    def __len__(self):
        return len(self.images) * self.n_views

    def __getitem__(self, i):
        torch.manual_seed(self.seed * 1000003 + i)  # deterministic views
        random.seed(self.seed * 1000003 + i)
        return self.tf(self.images[i // self.n_views])


@torch.no_grad()
def build_cache(args, rows, stem):
    key = f"{args.height}x{args.width}_v{args.views}_s{args.crop_scale}_r{args.rotate}_c{args.cache_at}_seed{args.seed}"
    path = os.path.join(args.cache_dir, f"nyala_cache_{key}.pt")
    if os.path.exists(path):
        log(f"cache: loading {path}")
        return torch.load(path)
    t0 = time.time()
    images = [Image.open(os.path.join(args.data, r["image"])).convert("RGB") for r in rows]
    for im in images:
        im.load()
    out = {}
    for name, tf, nv in [("plain", plain_transform(args.height, args.width), 1),
                         ("aug", aug_transform(args.height, args.width, args.crop_scale, args.rotate), args.views)]:
        if nv == 0:
            continue
        dl = torch.utils.data.DataLoader(ViewSet(images, tf, nv, args.seed), batch_size=16, num_workers=1)
        chunks = []
        for i, x in enumerate(dl):
            chunks.append(stem(x).half())
            if i % 100 == 0:
                log(f"cache {name}: {i * 16}/{len(images) * nv} ({time.time() - t0:.0f}s)")
        z = torch.cat(chunks)
        out[name] = z.view(len(images), nv, *z.shape[1:])
    torch.save(out, path)
    log(f"cache: built in {time.time() - t0:.0f}s -> {path}")
    return out


# --------------------------------------------------------------------------------------------- losses
class SubCenterArcFace(nn.Module):
    def __init__(self, dim, n_classes, k=3, s=30.0, m=0.3):
        super().__init__()
        self.w = nn.Parameter(torch.randn(n_classes * k, dim) * 0.01)
        self.n, self.k, self.s, self.m = n_classes, k, s, m

    def forward(self, e, y):
        cos = F.linear(F.normalize(e), F.normalize(self.w)).view(-1, self.n, self.k).max(-1).values
        cos = cos.clamp(-1 + 1e-7, 1 - 1e-7)
        theta = torch.acos(cos)
        target = torch.cos(theta + self.m)
        onehot = F.one_hot(y, self.n).bool()
        logits = torch.where(onehot, target, cos) * self.s
        return F.cross_entropy(logits, y)


def batch_hard_triplet(e, y, margin=0.3):
    e = F.normalize(e)
    d = torch.cdist(e, e)
    same = y[:, None] == y[None, :]
    eye = torch.eye(len(y), dtype=torch.bool)
    pos = same & ~eye
    has_pos = pos.any(1)
    if not has_pos.any():
        return e.sum() * 0
    hardest_pos = (d * pos).max(1).values
    hardest_neg = d.masked_fill(same, 1e9).min(1).values
    return F.relu(hardest_pos - hardest_neg + margin)[has_pos].mean()


# ------------------------------------------------------------------------------------------ evaluation
def evaluate(emb, names, sides):
    """Each photo is a query against all other photos of the same side; queries with no positive skipped."""
    e = F.normalize(emb.float())
    sim = e @ e.T
    names = np.array(names)
    sides = np.array(sides)
    r1, aps = [], []
    for q in range(len(names)):
        g = np.where((sides == sides[q]) & (np.arange(len(names)) != q))[0]
        pos = names[g] == names[q]
        if not pos.any():
            continue
        order = np.argsort(-sim[q, g].numpy(), kind="stable")
        hits = pos[order]
        r1.append(float(hits[0]))
        ranks = np.where(hits)[0] + 1
        aps.append(float(np.mean(np.arange(1, len(ranks) + 1) / ranks)))
    return {"rank1": float(np.mean(r1)), "mAP": float(np.mean(aps)), "queries": len(r1)}


@torch.no_grad()
def embed_cached(model, z, start, bs=64):
    model.eval()
    out = [model.forward_from(z[i:i + bs].float(), start) for i in range(0, len(z), bs)]
    return torch.cat(out)


# ------------------------------------------------------------------------------------------------ main
LOG = None


def log(msg):
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if LOG:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def add_recipe_args(ap):
    """The options that define a training recipe (shared with tools/kfold_default_model.py)."""
    ap.add_argument("--data", default="/work/shared/data/nyala-train")
    ap.add_argument("--init", default="/tmp/mobilenetv2_float.pth",
                    help="float MobileNetV2 state dict written by tools/convert_mobilenetv2.py")
    ap.add_argument("--height", type=int, default=288)
    ap.add_argument("--width", type=int, default=384)
    ap.add_argument("--cache-at", type=int, default=7, help="features.0..N-1 frozen and cached")
    ap.add_argument("--freeze", type=int, default=7, help="first trainable block (>= cache-at)")
    ap.add_argument("--slow-until", type=int, default=None,
                    help="blocks features.<freeze>..<N-1> train at --slow-lr-mult x the backbone LR (early blocks, low LR)")
    ap.add_argument("--slow-lr-mult", type=float, default=0.1)
    ap.add_argument("--views", type=int, default=8, help="augmented views cached per photo")
    ap.add_argument("--crop-scale", type=float, default=0.35, help="RandomResizedCrop min area")
    ap.add_argument("--rotate", type=float, default=8.0, help="max rotation, degrees")
    ap.add_argument("--loss", choices=["arcface", "triplet", "both"], default="arcface",
                    help="both: ArcFace on the BatchNorm1d output + triplet on its input (BN-neck)")
    ap.add_argument("--pool", choices=["gem", "avg"], default="gem")
    ap.add_argument("--mid-at", type=int, default=None,
                    help="also pool the output of features.N and concatenate it (two-depth pooling, e.g. 13)")
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--batch-p", type=int, default=8, help="classes per batch")
    ap.add_argument("--batch-k", type=int, default=4, help="photos per class per batch")
    ap.add_argument("--margin", type=float, default=0.3, help="triplet margin")
    ap.add_argument("--arc-s", type=float, default=20.0, help="ArcFace scale")
    ap.add_argument("--arc-m", type=float, default=0.3, help="ArcFace angular margin")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache-dir", default="/tmp")
    ap.add_argument("--eval-from", type=int, default=1, help="first epoch evaluated (and eligible to be kept)")
    ap.add_argument("--eval-every", type=int, default=1, help="evaluate every N epochs from --eval-from (and the last)")


def new_model(args):
    model = ReIDNet(args.dim, args.pool, args.mid_at)
    load_init(model, args.init)
    return model


def fit(args, model, cache, rows, tr_idx, eval_sets, select):
    """Train `model` on the photos tr_idx (classes = (individual, side)) from the feature cache. After every
    epoch each of eval_sets ({name: photo indices}) is evaluated; the returned state is the epoch with the
    best (rank-1 + mAP) / 2 on eval_sets[select], or the last epoch when select is None (a fixed schedule:
    the cosine decay ends there)."""
    z_plain = cache["plain"][:, 0]
    z_aug = cache["aug"]
    cls_keys = sorted({(rows[i]["name"], rows[i]["side"]) for i in tr_idx})
    cls_of = {k: j for j, k in enumerate(cls_keys)}
    tr_y = torch.tensor([cls_of[(rows[i]["name"], rows[i]["side"])] for i in tr_idx])
    by_cls = {}
    for j, i in enumerate(tr_idx):
        by_cls.setdefault(int(tr_y[j]), []).append(j)

    for p in model.backbone.features[: args.freeze].parameters():
        p.requires_grad_(False)
    arc = None
    if args.loss in ("arcface", "both"):
        arc = SubCenterArcFace(args.dim, len(cls_keys), s=args.arc_s, m=args.arc_m)
        # weight imprinting: start each class's sub-centres at the class mean of the initial embeddings,
        # otherwise (each class is seen about once per epoch in PK batches) the class weights learn too slowly
        with torch.no_grad():
            e0 = F.normalize(embed_cached(model, z_plain[tr_idx], args.cache_at))
            w = torch.zeros(len(cls_keys), args.dim)
            w.index_add_(0, tr_y, e0)
            w = F.normalize(w)
            w = w[:, None, :].repeat(1, arc.k, 1) + 0.01 * torch.randn(len(cls_keys), arc.k, args.dim)
            arc.w.copy_(w.view(-1, args.dim))
    slow_until = getattr(args, "slow_until", None) or args.freeze
    slow_params = [p for p in model.backbone.features[args.freeze:slow_until].parameters() if p.requires_grad]
    bb_params = [p for p in model.backbone.features[slow_until:].parameters() if p.requires_grad]
    head_params = [p for n, p in model.named_parameters() if not n.startswith("backbone.")]
    groups = [{"params": bb_params, "lr": args.lr}, {"params": head_params, "lr": args.lr * 3}]
    if slow_params:  # early blocks move slowly: their ImageNet filters are general, the data small
        groups.append({"params": slow_params, "lr": args.lr * args.slow_lr_mult})
    if arc is not None:
        groups.append({"params": arc.parameters(), "lr": args.lr * 10})
    opt = torch.optim.AdamW(groups, weight_decay=1e-4)
    base_lrs = [g["lr"] for g in opt.param_groups]

    bs = args.batch_p * args.batch_k
    steps_per_epoch = max(1, len(tr_idx) // bs)
    total = steps_per_epoch * args.epochs
    rng = random.Random(args.seed)
    classes = list(by_cls)

    def batches():
        order = classes[:]
        rng.shuffle(order)
        for b in range(steps_per_epoch):
            pick = [order[(b * args.batch_p + t) % len(order)] for t in range(args.batch_p)]
            idx = []
            for c in pick:
                members = by_cls[c]
                if len(members) >= args.batch_k:
                    idx += rng.sample(members, args.batch_k)
                else:
                    idx += [rng.choice(members) for _ in range(args.batch_k)]
            yield idx

    history = []
    best = None
    step = 0
    t_start = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        set_backbone_bn_eval(model)
        t0 = time.time()
        losses = []
        for idx in batches():
            # one of (views + the plain whole-photo resize) per sample
            v = [rng.randrange(args.views + 1) for _ in idx]
            z = torch.stack([z_plain[tr_idx[j]] if vv == args.views else z_aug[tr_idx[j], vv]
                             for j, vv in zip(idx, v)]).float()
            y = tr_y[idx]
            warm = steps_per_epoch
            scale = (step + 1) / warm if step < warm else 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))
            for g, lr0 in zip(opt.param_groups, base_lrs):
                g["lr"] = lr0 * scale
            pre, e = model.neck(model.features_from(z, args.cache_at))
            loss = 0
            if arc is not None:
                loss = loss + arc(e, y)
            if args.loss == "triplet":
                loss = loss + batch_hard_triplet(e, y, args.margin)
            elif args.loss == "both":  # BN-neck: the metric loss before the BatchNorm1d, ArcFace after it
                loss = loss + batch_hard_triplet(pre, y, args.margin)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss))
            step += 1
        seconds = time.time() - t0
        m = {"epoch": epoch, "loss": float(np.mean(losses)), "seconds": seconds}
        if epoch != args.epochs and (epoch < args.eval_from or (epoch - args.eval_from) % args.eval_every):
            history.append(m)  # evaluating costs as much as a third of an epoch: skipped early on
            log(f"epoch {epoch}/{args.epochs} loss {m['loss']:.3f} {seconds:.0f}s")
            continue
        for name, idx in eval_sets.items():
            emb = embed_cached(model, z_plain[idx], args.cache_at)
            m[name] = evaluate(emb, [rows[i]["name"] for i in idx], [rows[i]["side"] for i in idx])
        history.append(m)
        score = (m[select]["rank1"] + m[select]["mAP"]) / 2 if select else epoch
        tag = ""
        if best is None or score > best[0]:
            best = (score, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
            tag = " *"
        gem_p = f" p {float(model.pool.p):.2f}" if args.pool == "gem" else ""
        evals = " ".join(f"{name} rank1 {m[name]['rank1']:.3f} mAP {m[name]['mAP']:.3f} (n={m[name]['queries']})"
                         for name in eval_sets)
        log(f"epoch {epoch}/{args.epochs} loss {m['loss']:.3f} {evals}{gem_p} {seconds:.0f}s{tag}")
    return {"history": history, "bestEpoch": best[1], "state": best[2], "trainSeconds": time.time() - t_start}


def main():
    global LOG
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_recipe_args(ap)
    ap.add_argument("--holdout", type=float, default=0.2,
                    help="fraction of individuals held out (the best epoch is picked on them); 0: train on "
                         "every individual and keep the last epoch")
    ap.add_argument("--run-dir", default="/tmp/runs/default")
    ap.add_argument("--export-dir", default=None, help="export the best epoch to ONNX + card.json here")
    ap.add_argument("--default-layer", default="backbone.features.6")
    ap.add_argument("--export-height", type=int, default=None,
                    help="input height of the exported model (default: --height; a larger test-time size)")
    ap.add_argument("--export-width", type=int, default=None)
    ap.add_argument("--kfold", default=None,
                    help="summary.json of tools/kfold_default_model.py: its figures go into the card")
    ap.add_argument("--kfold-size", default=None, metavar="HxW",
                    help="the card reports the k-fold figures at this fixed test-time size (default: size chosen per fold)")
    ap.add_argument("--cache-only", action="store_true", help="only build the feature cache")
    ap.add_argument("--carry-card", default=None, metavar="CARD",
                    help="carry metrics.kfold, calibration and defaultLayerReason over from CARD (a card of the same "
                         "recipe) into the exported card")
    ap.add_argument("--calibration-from", default=None, metavar="CARD",
                    help="the review queue's prior (calibration) from CARD instead: a k-fold model's card after "
                         "`pairx evaluate <photos> --held-out --calibrate --update-card` on its test individuals")
    ap.add_argument("--default-layer-reason", default=None, help="why --default-layer (into the card)")
    ap.add_argument("--export-only", action="store_true",
                    help="skip training: export run-dir/best.pth (with run-dir/summary.json) to --export-dir")
    args = ap.parse_args()

    os.makedirs(args.run_dir, exist_ok=True)
    if args.export_only:
        with open(os.path.join(args.run_dir, "summary.json")) as f:
            summary = json.load(f)
        for k, v in summary["args"].items():  # the run's own settings
            if k not in ("export_dir", "export_only", "default_layer", "export_height", "export_width", "kfold",
                         "kfold_size", "carry_card", "calibration_from", "default_layer_reason"):
                setattr(args, k, v)
        export_default(args, summary)
        return
    LOG = os.path.join(args.run_dir, "log.txt")
    log("args: " + json.dumps(vars(args)))
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)

    rows = read_annotations(args.data)
    held = split_individuals(rows, args.holdout, args.seed)
    held_set = set(held)
    tr_idx = [i for i, r in enumerate(rows) if r["name"] not in held_set]
    va_idx = [i for i, r in enumerate(rows) if r["name"] in held_set]
    log(f"{len(rows)} photos; train {len(tr_idx)} photos / {len({rows[i]['name'] for i in tr_idx})} individuals; "
        f"held out {len(va_idx)} photos / {len(held)} individuals")

    model = new_model(args)
    stem = model.backbone.features[: args.cache_at].eval()
    cache = build_cache(args, rows, stem)
    if args.cache_only:
        return

    base = None
    if va_idx:  # baseline: pretrained features only (pooled features.18, 1280-d), no training
        with torch.no_grad():
            f = model.features_from(cache["plain"][va_idx, 0].float(), args.cache_at)
            base = evaluate(F.adaptive_avg_pool2d(f, 1).flatten(1), [rows[i]["name"] for i in va_idx],
                            [rows[i]["side"] for i in va_idx])
        log(f"pretrained features (avg-pooled 1280-d): rank1 {base['rank1']:.3f} mAP {base['mAP']:.3f} "
            f"queries {base['queries']}")

    result = fit(args, model, cache, rows, tr_idx, {"held-out": va_idx} if va_idx else {},
                 "held-out" if va_idx else None)
    torch.save(result["state"], os.path.join(args.run_dir, "best.pth"))
    history = result["history"]
    best = history[result["bestEpoch"] - 1]
    summary = {"args": vars(args), "heldOutIndividuals": held,
               "trainingIndividuals": sorted({rows[i]["name"] for i in tr_idx}),
               "pretrainedBaseline": base, "history": history,
               "best": best.get("held-out"), "bestEpoch": result["bestEpoch"], "trainSeconds": result["trainSeconds"]}
    with open(os.path.join(args.run_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    log(f"kept epoch {result['bestEpoch']}; training {result['trainSeconds']:.0f}s")

    if args.export_dir:
        export_default(args, summary)


def recipe_text(args):
    loss_txt = {"arcface": "sub-center ArcFace (k=3, s=%g, m=%g)" % (args.arc_s, args.arc_m),
                "triplet": "batch-hard triplet (margin %g)" % args.margin,
                "both": "sub-center ArcFace (after the BatchNorm1d) + batch-hard triplet (before it, BN-neck)"}[args.loss]
    pool = args.pool.upper() + (f" of features.18 and features.{args.mid_at} concatenated"
                                if getattr(args, "mid_at", None) is not None else "")
    width = 1280 + (96 if getattr(args, "mid_at", None) == 13 else 0)
    recipe = (f"{loss_txt}; input {args.width}x{args.height}; features.0-{args.freeze - 1} frozen "
              f"(outputs cached for {args.views} augmented views/photo: random resized crop scale "
              f"{args.crop_scale}-1, rotation +-{args.rotate} deg, colour jitter; no flip); "
              + (f"features.{args.freeze}-{args.slow_until - 1} fine-tuned at {args.slow_lr_mult:g}x the LR, "
                 f"features.{args.slow_until}-18 at the LR, batch norm frozen; "
                 if getattr(args, "slow_until", None) else f"features.{args.freeze}-18 fine-tuned with batch norm frozen; ")
              + f"{pool} pooling; "
              f"Linear {width}->{args.dim} + BatchNorm1d; AdamW lr {args.lr}, cosine schedule over {args.epochs} "
              f"epochs, PK batches {args.batch_p}x{args.batch_k}")
    return loss_txt, recipe


def kfold_metrics(kfold, size=None):
    """metrics.kfold of the card from a tools/kfold_default_model.py summary: the figures with the test-time
    input size chosen per fold on inner-val, or (size "HxW") those at a fixed size, the shipped one."""
    figures = kfold["bySize"][size] if size else kfold
    chosen = (f"measured at the fixed input size {size.split('x')[1]}x{size.split('x')[0]}" if size
              else "its test-time input size chosen on the same 20 %")
    return {
        "rank1": figures["rank1"], "mAP": figures["mAP"], "folds": kfold["folds"], "queries": kfold["queries"],
        "evaluatedWith": "pytorch",
        "protocol": ("the recipe, not this file: the individuals are split into folds (seeded); for each fold a model "
                     "is trained on 80 % of the other folds' individuals, its epoch is chosen on the remaining 20 %, "
                     f"{chosen}, and each photo of the fold's own individuals is a query against the fold's other "
                     "photos of the same flank side. Mean and sample standard deviation over folds."),
        "bestEpochs": kfold["bestEpochs"],
        "pretrainedBaseline": kfold["pretrainedBaseline"],
        "chanceRank1": kfold["chanceRank1"],
    }


def export_card(args, state, out_dir, *, held_out, trained_on, metrics, figures, epoch, train_seconds,
                size=None, command=None, extra=None):
    """Export the model `state` (a ReIDNet state dict) to out_dir as ONNX + card.json; `size` (h, w) is the
    exported input size (a test-time size may differ from the training size)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from export_onnx import export_model  # noqa: E402

    model = ReIDNet(args.dim, args.pool, getattr(args, "mid_at", None))
    model.load_state_dict(state)
    model.eval()
    h, w = size or (args.height, args.width)
    loss_txt, recipe = recipe_text(args)
    card = {
        "name": "nyala-mbv2",
        "description": ("Nyala (Tragelaphus angasii) re-identification model: ImageNet MobileNetV2 fine-tuned with "
                        f"{loss_txt} on (individual, flank side) classes of the NyalaData photos. Input: the whole "
                        f"photo resized to {w}x{h}. Output: a {args.dim}-d embedding, compare with "
                        "cosine similarity (not L2-normalised in the graph). Compare photos of the same flank side. "
                        f"{figures} A demonstration model, far from reliable identification; always check candidate "
                        "matches by eye."),
        "file": "model.onnx",
        "input": {"name": "image", "width": w, "height": h, "mean": MEAN, "std": STD,
                  "channelOrder": "RGB", "resize": "bilinear", "layout": "NCHW", "scale": "0..1"},
        "embedding": {"name": "embedding", "dim": args.dim, "similarity": "cosine"},
        "defaultLayer": args.default_layer,
        "layers": ["backbone.features.6", "backbone.features.10", "backbone.features.13", "backbone.features.16"],
        "source": {
            "data": ("NyalaData (Dlamini & van Zyl, 'Automated identification of individuals in wildlife population "
                     "using Siamese neural networks', 2020), zero-shot split, training part; public repository "
                     "tvanzyl/wildlife_reidentification. 1,213 photos of 179 individuals."),
            "init": "ImageNet MobileNetV2 (ONNX Model Zoo mobilenetv2-12-int8, Apache-2.0)",
            "license": ("Model weights derived from MobileNetV2 (Apache-2.0) and fine-tuned on NyalaData, a research "
                        "data set: credit the data source; check its terms before commercial use."),
        },
        "training": {
            "command": command, "seed": args.seed, "epochs": args.epochs, "bestEpoch": epoch,
            "recipe": recipe + (f"; exported at {w}x{h}" if (h, w) != (args.height, args.width) else ""),
            "heldOutIndividuals": held_out,
            "trainingIndividuals": trained_on,
            "trainSeconds": round(train_seconds),
            "hardware": "2 CPU cores (shared), no GPU",
        },
        "metrics": metrics,
        **(extra or {}),
    }
    export_model(model, out_dir, h, w, card=card)


def export_default(args, summary):
    cmd = "nice -n 19 /usr/bin/python3 tools/train_default_model.py " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
        if v is not None and not isinstance(v, bool)
        and not (k == "slow_lr_mult" and getattr(args, "slow_until", None) is None)
        and k not in ("data", "init", "cache_dir", "threads", "kfold_size", "default_layer_reason"))
    metrics, figures, extra = {}, [], {}
    carried = {}
    if getattr(args, "carry_card", None):
        with open(args.carry_card) as f:
            carried = json.load(f)
        # the recipe's estimate and the review queue's prior belong to the recipe, not to one training run
        for key in ("calibration", "defaultLayerReason"):
            if key in carried:
                extra[key] = carried[key]
    if getattr(args, "calibration_from", None):
        with open(args.calibration_from) as f:
            extra["calibration"] = json.load(f)["calibration"]
    if getattr(args, "default_layer_reason", None):
        extra["defaultLayerReason"] = args.default_layer_reason
    k = None
    if args.kfold:
        with open(args.kfold) as f:
            kfold = json.load(f)
        k = metrics["kfold"] = kfold_metrics(kfold, args.kfold_size)
    elif carried.get("metrics", {}).get("kfold"):
        k = metrics["kfold"] = carried["metrics"]["kfold"]
    if k:
        figures.append(f"The recipe on individuals it never saw ({k['folds']}-fold over individuals, "
                       f"{k['queries']} queries): rank-1 {k['rank1']['mean']:.1%} ± {k['rank1']['sd']:.1%}, "
                       f"mAP {k['mAP']['mean']:.1%} ± {k['mAP']['sd']:.1%} (ImageNet features alone: "
                       f"{k['pretrainedBaseline']['rank1']['mean']:.1%}; chance {k['chanceRank1']['mean']:.1%}); "
                       "rank-1 falls as the gallery grows.")
    b = summary["best"]
    if b:
        figures.append(f"On {len(summary['heldOutIndividuals'])} held-out individuals: rank-1 {b['rank1']:.1%}, "
                       f"mAP {b['mAP']:.1%} (epoch chosen on them).")
        metrics["validation"] = {
            "rank1": round(b["rank1"], 4), "mAP": round(b["mAP"], 4), "queries": b["queries"],
            "evaluatedWith": "pytorch",
            "protocol": ("held-out individuals only; each held-out photo is a query against all other held-out "
                         "photos of the same flank side; queries without another photo of that individual and side "
                         "are skipped. The epoch was chosen on this same set, so the numbers are slightly optimistic."),
            "pretrainedBaseline": {k: round(v, 4) if isinstance(v, float) else v
                                   for k, v in summary["pretrainedBaseline"].items()},
        }
    else:
        figures.append(f"Trained on all {len(summary['trainingIndividuals'])} individuals (last epoch of the schedule).")
    size = (args.export_height or args.height, args.export_width or args.width)
    state = torch.load(os.path.join(args.run_dir, "best.pth"))
    export_card(args, state, args.export_dir, held_out=summary["heldOutIndividuals"],
                trained_on=summary.get("trainingIndividuals"), metrics=metrics, figures=" ".join(figures),
                epoch=summary["bestEpoch"], train_seconds=summary["trainSeconds"], size=size, command=cmd, extra=extra)


if __name__ == "__main__":
    main()
