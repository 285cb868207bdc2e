#!/usr/bin/python3
"""K-fold estimate of a training recipe for the default model, over individuals it never saw.

The 179 individuals are split (seeded) into K folds. For each fold, the other folds' individuals are split
again: 80 % train the model, 20 % ("inner-val") pick the epoch and the test-time input size. The fold's own
individuals ("test") are only measured: each test photo is a query against the other test photos of its
flank side. Nothing about the model is chosen on them, so the mean over folds is an honest estimate of the
recipe on new animals (with ~36 test individuals per fold, one fold's rank-1 moves by several points).

The frozen first blocks' outputs are cached per photo (tools/train_default_model.py), so the cache is built
once and shared by every fold and recipe. Folds can run in separate processes (`--folds 0,1`) and be
gathered afterwards (`--gather DIR`); `--choose DIR_A DIR_B ...` picks a recipe per fold by inner-val, the
estimate of the whole procedure "train these recipes, keep the best on inner-val".

    nice -n 19 /usr/bin/python3 tools/kfold_default_model.py --height 224 --width 288 --loss triplet \\
        --lr 1.5e-4 --epochs 20 --test-sizes 224x288,288x384 --run-dir /tmp/runs/kfold_e5
    /usr/bin/python3 tools/kfold_default_model.py --gather /tmp/runs/kfold_e5
"""
import os
import sys

if os.environ.get("MALLOC_MMAP_THRESHOLD_") is None and __name__ == "__main__":  # see train_default_model.py
    os.environ["MALLOC_MMAP_THRESHOLD_"] = "4000000000"
    os.environ["MALLOC_TRIM_THRESHOLD_"] = "4000000000"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse
import glob
import json
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_default_model as T  # noqa: E402


def fold_names(rows, k, seed):
    """K folds of individuals, seeded; every photo of an individual lands in the same fold."""
    names = sorted({r["name"] for r in rows})
    random.Random(seed).shuffle(names)
    return [sorted(names[f::k]) for f in range(k)]


def parse_sizes(text):
    sizes = []
    for part in text.split(","):
        h, w = part.lower().split("x")
        sizes.append((int(h), int(w)))
    return sizes


def score(m):
    return (m["rank1"] + m["mAP"]) / 2


def mean_sd(values):
    a = np.array(values, dtype=float)
    return {"mean": round(float(a.mean()), 4), "sd": round(float(a.std(ddof=1)) if len(a) > 1 else 0.0, 4),
            "folds": [round(float(v), 4) for v in a]}


def run_fold(args, rows, cache, plain_at, f, folds):
    test = set(folds[f])
    rest = sorted(n for g, names in enumerate(folds) if g != f for n in names)
    rng = random.Random(args.seed * 7919 + f)
    inner_val = set(rng.sample(rest, int(round(args.inner_val * len(rest)))))
    tr_idx = [i for i, r in enumerate(rows) if r["name"] not in test and r["name"] not in inner_val]
    iv_idx = [i for i, r in enumerate(rows) if r["name"] in inner_val]
    te_idx = [i for i, r in enumerate(rows) if r["name"] in test]
    T.log(f"fold {f}: train {len(tr_idx)} photos / {len(rest) - len(inner_val)} individuals, inner-val "
          f"{len(iv_idx)} / {len(inner_val)}, test {len(te_idx)} / {len(test)}")
    torch.manual_seed(args.seed + f)
    model = T.new_model(args)

    def measure(z, idx, pretrained=False):
        with torch.no_grad():
            feats = model.features_from(z[idx].float(), args.cache_at) if pretrained else None
            emb = (F.adaptive_avg_pool2d(feats, 1).flatten(1) if pretrained
                   else T.embed_cached(model, z[idx], args.cache_at))
        return T.evaluate(emb, [rows[i]["name"] for i in idx], [rows[i]["side"] for i in idx])

    baseline = measure(cache["plain"][:, 0], te_idx, pretrained=True)
    result = T.fit(args, model, cache, rows, tr_idx, {"inner-val": iv_idx, "test": te_idx}, "inner-val")
    model.load_state_dict(result["state"])
    model.eval()
    sizes = {}
    for (h, w), z in plain_at.items():
        sizes[f"{h}x{w}"] = {"inner-val": measure(z, iv_idx), "test": measure(z, te_idx)}
    chosen = max(sizes, key=lambda s: score(sizes[s]["inner-val"]))
    out = {
        "fold": f, "testIndividuals": sorted(test), "innerValIndividuals": sorted(inner_val),
        "trainPhotos": len(tr_idx), "bestEpoch": result["bestEpoch"], "trainSeconds": result["trainSeconds"],
        "pretrainedBaseline": baseline, "history": result["history"],
        "trainSize": f"{args.height}x{args.width}", "sizes": sizes, "chosenSize": chosen,
        "test": sizes[chosen]["test"], "innerVal": sizes[chosen]["inner-val"],
        "args": vars(args),
    }
    torch.save(result["state"], os.path.join(args.run_dir, f"fold{f}.pth"))
    with open(os.path.join(args.run_dir, f"fold{f}.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    T.log(f"fold {f}: epoch {result['bestEpoch']} (by inner-val), size {chosen}: test rank1 "
          f"{out['test']['rank1']:.3f} mAP {out['test']['mAP']:.3f} (n={out['test']['queries']}); "
          f"pretrained {baseline['rank1']:.3f}; {result['trainSeconds']:.0f}s")
    return out


def read_folds(run_dir):
    folds = []
    for path in sorted(glob.glob(os.path.join(run_dir, "fold*.json"))):
        with open(path) as fh:
            folds.append(json.load(fh))
    if not folds:
        raise SystemExit(f"{run_dir}: no fold*.json (run the folds first)")
    return sorted(folds, key=lambda d: d["fold"])


def chance_rank1(rows, names):
    """Expected rank-1 of a random ranking among these individuals' photos: rank-1 grows as the gallery
    shrinks, so a fold's figure is only comparable with figures on galleries of similar size."""
    names = set(names)
    photos = [(r["name"], r["side"]) for r in rows if r["name"] in names]
    rates = []
    for q, (name, side) in enumerate(photos):
        gallery = [p for j, p in enumerate(photos) if j != q and p[1] == side]
        positives = sum(p[0] == name for p in gallery)
        if positives:
            rates.append(positives / len(gallery))
    return float(np.mean(rates))


def gather(run_dir):
    """Mean and spread over the folds of one recipe."""
    folds = read_folds(run_dir)
    rows = T.read_annotations(folds[0]["args"]["data"])
    train_size = folds[0]["trainSize"]
    summary = {
        "runDir": run_dir, "folds": len(folds), "args": folds[0]["args"],
        "queries": sum(d["test"]["queries"] for d in folds),
        # the estimate: epoch and test-time size chosen on inner-val
        "rank1": mean_sd([d["test"]["rank1"] for d in folds]),
        "mAP": mean_sd([d["test"]["mAP"] for d in folds]),
        "chosenSizes": [d["chosenSize"] for d in folds],
        "bestEpochs": [d["bestEpoch"] for d in folds],
        # for comparison only (fixed choices, not picked on anything)
        "atTrainSize": {m: mean_sd([d["sizes"][train_size]["test"][m] for d in folds]) for m in ("rank1", "mAP")},
        "bySize": {s: {m: mean_sd([d["sizes"][s]["test"][m] for d in folds]) for m in ("rank1", "mAP")}
                   for s in folds[0]["sizes"]},
        "lastEpoch": {m: mean_sd([d["history"][-1]["test"][m] for d in folds]) for m in ("rank1", "mAP")},
        "pretrainedBaseline": {m: mean_sd([d["pretrainedBaseline"][m] for d in folds]) for m in ("rank1", "mAP")},
        "chanceRank1": mean_sd([chance_rank1(rows, d["testIndividuals"]) for d in folds]),
        "trainSeconds": [round(d["trainSeconds"]) for d in folds],
    }
    with open(os.path.join(run_dir, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    pct = lambda s: f"{100 * s['mean']:.1f} ± {100 * s['sd']:.1f} %"  # noqa: E731
    print(f"{run_dir}: {len(folds)} folds, {summary['queries']} test queries")
    print(f"  estimate (epoch + size by inner-val): rank-1 {pct(summary['rank1'])}, mAP {pct(summary['mAP'])}; "
          f"sizes {summary['chosenSizes']}, epochs {summary['bestEpochs']}")
    for s, v in summary["bySize"].items():
        print(f"  at {s}: rank-1 {pct(v['rank1'])}, mAP {pct(v['mAP'])}")
    print(f"  last epoch, train size: rank-1 {pct(summary['lastEpoch']['rank1'])}, mAP {pct(summary['lastEpoch']['mAP'])}")
    print(f"  ImageNet features: rank-1 {pct(summary['pretrainedBaseline']['rank1'])}, "
          f"mAP {pct(summary['pretrainedBaseline']['mAP'])}")
    print(f"  chance (random ranking): rank-1 {pct(summary['chanceRank1'])}")
    print(f"  per fold rank-1 {summary['rank1']['folds']}, train seconds {summary['trainSeconds']}")
    return summary


def choose(run_dirs):
    """Per fold, the recipe with the best inner-val score: the estimate of picking a recipe this way."""
    per_recipe = [{d["fold"]: d for d in read_folds(r)} for r in run_dirs]
    common = sorted(set.intersection(*(set(p) for p in per_recipe)))
    picks = []
    for f in common:
        j = max(range(len(run_dirs)), key=lambda j: score(per_recipe[j][f]["innerVal"]))
        picks.append((f, run_dirs[j], per_recipe[j][f]["test"]))
    r1 = mean_sd([t["rank1"] for _, _, t in picks])
    mp = mean_sd([t["mAP"] for _, _, t in picks])
    print(f"recipe chosen per fold by inner-val over {len(common)} folds: rank-1 {100 * r1['mean']:.1f} ± "
          f"{100 * r1['sd']:.1f} %, mAP {100 * mp['mean']:.1f} ± {100 * mp['sd']:.1f} %")
    for f, r, t in picks:
        print(f"  fold {f}: {r} (test rank-1 {t['rank1']:.3f})")
    return {"rank1": r1, "mAP": mp, "picks": [{"fold": f, "runDir": r} for f, r, _ in picks]}


def export_fold(run_dir, f, out_dir, size=None):
    """One fold's model as ONNX + card, with its test individuals (never trained on, nothing chosen on
    them) listed in the card and in out_dir/test-individuals.txt: for benchmarks that need a model that
    never saw their individuals."""
    with open(os.path.join(run_dir, f"fold{f}.json")) as fh:
        d = json.load(fh)
    args = argparse.Namespace(**d["args"])
    args.default_layer = "backbone.features.6"
    size = size or d["chosenSize"]  # HxW; a fixed size is the one a shipped model of this recipe has
    h, w = (int(v) for v in size.split("x"))
    rows = T.read_annotations(args.data)
    unseen = set(d["testIndividuals"]) | set(d["innerValIndividuals"])
    trained_on = sorted({r["name"] for r in rows} - unseen)
    t = d["sizes"][size]["test"]
    figures = (f"Fold {f} of a {args.k}-fold estimate: trained on {len(trained_on)} individuals, epoch chosen on "
               f"{len(d['innerValIndividuals'])} others; on its {len(d['testIndividuals'])} test individuals "
               f"(listed as heldOutIndividuals; nothing was chosen on them): rank-1 {t['rank1']:.1%}, mAP {t['mAP']:.1%} "
               f"({t['queries']} queries).")
    metrics = {"validation": {
        "rank1": round(t["rank1"], 4), "mAP": round(t["mAP"], 4), "queries": t["queries"], "evaluatedWith": "pytorch",
        "protocol": ("the fold's test individuals only; each photo is a query against the other photos of the same "
                     "flank side among them; nothing was chosen on them."),
        "pretrainedBaseline": d["pretrainedBaseline"]}}
    state = torch.load(os.path.join(run_dir, f"fold{f}.pth"))
    T.export_card(args, state, out_dir, held_out=d["testIndividuals"], trained_on=trained_on, metrics=metrics,
                  figures=figures, epoch=d["bestEpoch"], train_seconds=d["trainSeconds"], size=(h, w),
                  command=f"/usr/bin/python3 tools/kfold_default_model.py --export-fold {f} --run-dir {run_dir}")
    with open(os.path.join(out_dir, "test-individuals.txt"), "w") as fh:
        fh.write("\n".join(d["testIndividuals"]) + "\n")
    print(f"wrote {out_dir}: fold {f}, {len(d['testIndividuals'])} test individuals, input {w}x{h}")


def into_card(summary, card_path, data, size=None):
    """The recipe's k-fold figures into an existing model card; a card that lists held-out individuals but
    not the training ones gets them (every other individual of the data), so `pairx evaluate` can tell
    photos the model was trained on."""
    with open(card_path) as fh:
        card = json.load(fh)
    card.setdefault("metrics", {})["kfold"] = T.kfold_metrics(summary, size)
    training = card.setdefault("training", {})
    if training.get("heldOutIndividuals") and "trainingIndividuals" not in training:
        held = set(training["heldOutIndividuals"])
        training["trainingIndividuals"] = sorted({r["name"] for r in T.read_annotations(data)} - held)
    with open(card_path, "w") as fh:
        json.dump(card, fh, indent=2)
        fh.write("\n")
    print(f"wrote metrics.kfold into {card_path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    T.add_recipe_args(ap)
    ap.add_argument("--k", type=int, default=5, help="number of folds")
    ap.add_argument("--folds", default=None, help="comma-separated fold numbers to run (default: all)")
    ap.add_argument("--inner-val", type=float, default=0.2, help="fraction of training individuals for inner-val")
    ap.add_argument("--test-sizes", default=None,
                    help="HxW input sizes to measure at the chosen epoch (the training size is always one)")
    ap.add_argument("--run-dir", default="/tmp/runs/kfold")
    ap.add_argument("--gather", default=None, metavar="DIR", help="only summarise DIR's finished folds")
    ap.add_argument("--choose", nargs="+", default=None, metavar="DIR", help="pick a recipe per fold by inner-val")
    ap.add_argument("--export-fold", type=int, default=None, metavar="N",
                    help="export run-dir's fold N model (ONNX + card.json + test-individuals.txt) to --export-dir")
    ap.add_argument("--export-dir", default=None)
    ap.add_argument("--into-card", default=None, metavar="CARD",
                    help="with --gather: write the estimate into CARD's metrics.kfold (the model file is unchanged)")
    ap.add_argument("--card-size", default=None, metavar="HxW",
                    help="with --into-card or --export-fold: this fixed test-time size (default: the one chosen per fold)")
    args = ap.parse_args()
    if args.export_fold is not None:
        export_fold(args.run_dir, args.export_fold, args.export_dir, args.card_size)
        return
    if args.gather:
        summary = gather(args.gather)
        if args.into_card:
            into_card(summary, args.into_card, args.data, args.card_size)
        return
    if args.choose:
        choose(args.choose)
        return

    os.makedirs(args.run_dir, exist_ok=True)
    T.LOG = os.path.join(args.run_dir, "log.txt")
    T.log("args: " + json.dumps(vars(args)))
    torch.set_num_threads(args.threads)
    rows = T.read_annotations(args.data)
    folds = fold_names(rows, args.k, args.seed)
    stem = T.new_model(args).backbone.features[: args.cache_at].eval()
    cache = T.build_cache(args, rows, stem)
    plain_at = {(args.height, args.width): cache["plain"][:, 0]}
    for h, w in parse_sizes(args.test_sizes) if args.test_sizes else []:
        if (h, w) not in plain_at:  # plain whole-photo resizes only: test-time sizes need no augmented views
            sized = argparse.Namespace(**{**vars(args), "height": h, "width": w, "views": 0})
            plain_at[(h, w)] = T.build_cache(sized, rows, stem)["plain"][:, 0]
    todo = [int(f) for f in args.folds.split(",")] if args.folds else range(args.k)
    t0 = time.time()
    for f in todo:
        run_fold(args, rows, cache, plain_at, f, folds)
    T.log(f"folds {list(todo)} done in {time.time() - t0:.0f}s")
    if len(read_folds(args.run_dir)) == args.k:
        gather(args.run_dir)


if __name__ == "__main__":
    main()
