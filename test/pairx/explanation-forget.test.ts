import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExplanationService } from '../../src/main/pairx/explanation-service.ts';
import type { PairExplainer } from '../../src/main/pairx/pair-explainer.ts';

const PHOTO = resolve('test/fixtures/photos/nyala-100-left-a.jpg');

/** A stand-in model that counts its forward passes. */
function countingModel() {
  let passes = 0;
  const model = {
    id: 'fake@1',
    inputSpec: { width: 32, height: 32, mean: [0, 0, 0], std: [1, 1, 1] },
    resolveLayer: () => ({ key: 'layer', tensor: 't' }),
    async matchPair(a: Float32Array) {
      passes++;
      return { similarity: 1, matches: [], timings: {}, layer: {}, input: {}, relevanceMaps: [[], []], forwardState: { images: [a, a], perImage: null } };
    },
  };
  return { model: model as unknown as PairExplainer, passes: () => passes };
}

describe('explanation service: forgetting an annotation', () => {
  it('drops the explanations and views of an edited or deleted annotation, and only those', async () => {
    const fake = countingModel();
    const service = new ExplanationService(async () => fake.model, () => ({ path: PHOTO }));
    const settings = { kLines: 20, kColors: 10 };
    await service.matches(1, 2, settings);
    await service.matches(3, 4, settings);
    const view = await service.viewPng(1);
    expect(fake.passes()).toBe(2);
    service.forget(1);
    await service.matches(3, 4, settings);
    expect(fake.passes()).toBe(2); // another pair stays cached
    await service.matches(1, 2, settings);
    expect(fake.passes()).toBe(3); // the forgotten annotation's pair is computed again
    expect(await service.viewPng(1)).not.toBe(view); // and its view made again
  });
});
