import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/main/arrays/npy.ts';
import type { Match } from '../../src/main/pairx/explanation.ts';
import type { Explanation } from '../../src/main/pairx/explanation.ts';
import { ReidModel } from '../../src/main/models/reid-model.ts';
import { PairExplainer, releaseForward } from '../../src/main/pairx/pair-explainer.ts';

/**
 * Every case of the reference implementation's golden outputs, reproduced within the tolerances of
 * ../shared/golden/README.md: embeddings and feature maps relative L2 < 1e-4; relevance and pixel maps
 * < 5e-2; the same top-k matches and the same number of matches.
 */
const BUNDLED = resolve('test/fixtures/golden');
const SHARED = resolve('../shared/golden');
const BUNDLED_CASES = ['resnet-narrow-128', 'effnet-tiny-160', 'vit-tiny-224', 'swin-tiny-224'];
const SHARED_CASES = ['resnet-mini-224', 'effnet-b0-256', 'mbv2-imagenet-224', 'vit-small-224-p14'];

/** The reference writes its matches with the fields of ours. */
type ManifestMatch = Match;
interface Manifest {
  cosine: number;
  k: number;
  layers: Record<
    string,
    { tensor: string; shape: number[]; matches: ManifestMatch[]; arrays: Record<string, { file: string }> }
  >;
}

function relativeError(actual: Float32Array, reference: Float32Array): number {
  expect(actual.length).toBe(reference.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < reference.length; i++) {
    diff += (actual[i] - reference[i]) ** 2;
    norm += reference[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

const matchKey = (m: { coord0: number[]; coord1: number[] }) => `${m.coord0}|${m.coord1}`;

function describeCase(name: string, dir: string, options: { released?: boolean } = {}) {
  describe(name, () => {
    const manifest: Manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    let model: PairExplainer;
    let inputs: [Float32Array, Float32Array];
    beforeAll(async () => {
      model = new PairExplainer(await ReidModel.load(join(dir, 'model.onnx'), { provider: 'cpu' }));
      inputs = [(await readNpy(join(dir, 'image0.npy'))).data, (await readNpy(join(dir, 'image1.npy'))).data];
    });
    afterAll(() => model?.release());
    const array = async (file: string) => (await readNpy(join(dir, file))).data;

    for (const [layerKey, layer] of Object.entries(manifest.layers)) {
      describe(`layer ${layerKey}`, () => {
        let explanation: Explanation;
        beforeAll(async () => {
          explanation = await model.explain(inputs[0], inputs[1], { layer: layerKey, kColors: manifest.k });
        });

        it('resolves the layer to the reference tensor', () => {
          expect(explanation.layer.tensor).toBe(layer.tensor);
          expect([1, explanation.layer.channels, explanation.layer.height, explanation.layer.width]).toEqual(
            layer.shape,
          );
        });

        it('reproduces similarity, embeddings, seeds and feature maps', async () => {
          expect(explanation.similarity).toBeCloseTo(manifest.cosine, 4);
          for (const i of [0, 1]) {
            expect(relativeError(explanation.embeddings[i], await array(`emb${i}.npy`))).toBeLessThan(1e-4);
            expect(relativeError(explanation.seeds[i], await array(`seed${i}.npy`))).toBeLessThan(1e-4);
            expect(
              relativeError(explanation.featureMaps[i], await array(layer.arrays[`fm${i}`].file)),
            ).toBeLessThan(1e-4);
          }
        });

        it('reproduces the intermediate relevance maps', async () => {
          for (const i of [0, 1]) {
            expect(
              relativeError(explanation.relevanceMaps[i], await array(layer.arrays[`relevance${i}`].file)),
            ).toBeLessThan(5e-2);
          }
        });

        it('finds the same matches and the same top-k', () => {
          expect(explanation.matches.length).toBe(layer.matches.length);
          const top = (ms: { coord0: number[]; coord1: number[] }[]) =>
            new Set(ms.slice(0, manifest.k).map(matchKey));
          expect(top(explanation.matches)).toEqual(top(layer.matches));
          const reference = new Map(layer.matches.map((m) => [matchKey(m), m]));
          for (const match of explanation.matches) {
            const expected = reference.get(matchKey(match));
            expect(expected, `match ${matchKey(match)} is not in the reference`).toBeDefined();
            expect(match.point0).toEqual(expected!.point0);
            expect(match.point1).toEqual(expected!.point1);
            expect(match.distance).toBeCloseTo(expected!.distance, 3);
          }
        });

        it('reproduces the pixel relevance maps of the top-k matches', async () => {
          expect(explanation.kColors).toBe(Math.min(manifest.k, layer.matches.length));
          for (const i of [0, 1]) {
            expect(
              relativeError(explanation.pixelMaps[i], await array(layer.arrays[`pixel${i}`].file)),
            ).toBeLessThan(5e-2);
          }
        });

        // The reference's own explanations conserve relevance as far as biases let them: the guard is quiet.
        it('passes the conservation guard', () => {
          const { conservation } = explanation;
          expect(conservation.pixels[0]).toHaveLength(explanation.kColors);
          expect(conservation.faithful, `worst error ${conservation.worst}`).toBe(true);
          if (process.env.PAIRX_GUARD_LOG) console.log(`guard ${name} ${layerKey} worst ${conservation.worst}`);
        });

        // A cache of pairs lets go of the forward statistics; step 6 must then redo the forward pass, exactly.
        it.runIf(options.released)(
          'computes the same pixel maps after the forward statistics are released',
          async () => {
            const matched = await model.matchPair(inputs[0], inputs[1], { layer: layerKey });
            releaseForward(matched);
            expect(matched.forwardState.perImage).toBeNull();
            const again = await model.addPixelMaps(matched, manifest.k);
            for (const i of [0, 1]) {
              expect(relativeError(again.pixelMaps[i], explanation.pixelMaps[i])).toBeLessThan(1e-6);
              expect(
                relativeError(again.pixelMaps[i], await array(layer.arrays[`pixel${i}`].file)),
              ).toBeLessThan(5e-2);
            }
          },
        );
      });
    }
  });
}

for (const name of BUNDLED_CASES) describeCase(name, join(BUNDLED, name), { released: true });

const sharedPresent = existsSync(SHARED);
if (!sharedPresent) {
  console.warn(`golden: ${SHARED} is absent; skipping the full-size cases ${SHARED_CASES.join(', ')}`);
}
describe.skipIf(!sharedPresent)('full-size golden cases from ../shared/golden', () => {
  for (const name of SHARED_CASES) if (sharedPresent) describeCase(name, join(SHARED, name));
});
