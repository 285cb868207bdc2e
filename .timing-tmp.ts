import { preprocess } from './src/main/imaging/preprocess.ts';
import { defaultModelPath } from './src/main/models/default-model.ts';
import { ReidModel } from './src/main/models/reid-model.ts';
import { PairExplainer } from './src/main/pairx/pair-explainer.ts';
const model = await ReidModel.load(defaultModelPath(), { provider: 'cpu' });
const ex = new PairExplainer(model);
const [a, b] = await Promise.all(['resources/demo/photos/146/224_rightphoto.jpg', 'resources/demo/photos/146/292_rightphoto.jpg'].map((f) => preprocess(f, model.inputSpec)));
for (const layer of ['backbone.features.13', 'backbone.features.6']) {
  await ex.explain(a, b, { layer });
  const m: number[] = [], p: number[] = [];
  for (let i = 0; i < 7; i++) { const e = await ex.explain(a, b, { layer }); m.push(e.timings.totalMs - e.timings.pixelMs); p.push(e.timings.pixelMs); }
  const med = (v: number[]) => v.sort((x, y) => x - y)[3].toFixed(0);
  console.log(layer, 'matches+heat', med(m), 'pixel maps', med(p));
}
await ex.release();
