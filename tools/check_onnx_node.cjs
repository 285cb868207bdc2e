// Compare an exported model's ONNX output (onnxruntime-node) with a reference embedding computed in PyTorch.
// Usage (from the repository root, so that onnxruntime-node resolves):
//   node tools/check_onnx_node.cjs resources/models/nyala-mbv2/model.onnx /tmp/ref.json
// where /tmp/ref.json = {"input": [flat float32 NCHW], "shape": [1,3,H,W], "embedding": [flat float32]}
// (written by tools/verify_export.py).
const fs = require('fs');
const ort = require('onnxruntime-node');
(async () => {
  const [model, refPath] = process.argv.slice(2);
  const ref = JSON.parse(fs.readFileSync(refPath, 'utf8'));
  const session = await ort.InferenceSession.create(model);
  const feeds = { image: new ort.Tensor('float32', Float32Array.from(ref.input), ref.shape) };
  const t0 = Date.now();
  const out = await session.run(feeds);
  const ms = Date.now() - t0;
  const e = out.embedding.data;
  let maxDiff = 0;
  for (let i = 0; i < e.length; i++) maxDiff = Math.max(maxDiff, Math.abs(e[i] - ref.embedding[i]));
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < e.length; i++) { dot += e[i] * ref.embedding[i]; na += e[i] * e[i]; nb += ref.embedding[i] ** 2; }
  console.log(JSON.stringify({ inputs: session.inputNames, outputs: session.outputNames, dims: out.embedding.dims,
    maxAbsDiff: maxDiff, cosine: dot / Math.sqrt(na * nb), maxAbs: Math.max(...Array.from(e).map(Math.abs)), ms }));
  process.exit(maxDiff < 1e-3 ? 0 : 1);
})().catch((err) => { console.error(err); process.exit(2); });
