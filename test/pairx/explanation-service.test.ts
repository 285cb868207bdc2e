import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Crop } from '../../src/main/imaging/preprocess.ts';
import { ExplanationService } from '../../src/main/pairx/explanation-service.ts';
import type { PairExplainer } from '../../src/main/pairx/pair-explainer.ts';

const PHOTO = resolve('test/fixtures/photos/nyala-100-left-a.jpg');

/** A stand-in model that records when each pair's steps start and lets the test finish them. */
function fakeModel() {
  const started: string[] = [];
  const pending = new Map<string, () => void>();
  const model = {
    id: 'fake@1',
    inputSpec: { width: 32, height: 32, mean: [0, 0, 0], std: [1, 1, 1] },
    resolveLayer: () => ({ key: 'layer', tensor: 't' }),
    async matchPair(a: Float32Array) {
      const key = `match:${a[0]}`;
      started.push(key);
      await new Promise<void>((done) => pending.set(key, done));
      return {
        similarity: 1,
        matches: [],
        timings: {},
        layer: {},
        input: {},
        relevanceMaps: [[], []],
        forwardState: { images: [a, a], perImage: [] },
      };
    },
    async addPixelMaps() {
      started.push('pixels');
      return {
        kColors: 0,
        pixelMaps: [new Float32Array(), new Float32Array()],
        input: { width: 32, height: 32 },
        timings: { pixelMs: 0 },
        warnings: [],
      };
    },
  };
  return { model: model as unknown as PairExplainer, started, finish: (key: string) => pending.get(key)?.() };
}

describe('explanation service', () => {
  it('runs a prefetch only when no request is waiting, and reuses its result', async () => {
    const fake = fakeModel();
    const service = new ExplanationService(
      async () => fake.model,
      () => ({ path: PHOTO }),
    );
    const settings = { kLines: 20, kColors: 10 };
    const first = service.matches(1, 2, settings);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.started).toHaveLength(1);
    const prefetched = service.prefetch(3, 4, settings);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.started).toHaveLength(1); // the prefetch waits for the request
    fake.finish(fake.started[0]);
    await first;
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.started).toHaveLength(2); // now it runs
    fake.finish(fake.started[1]);
    expect((await prefetched).a).toBe(3); // the prefetch answers with its first phase
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.started.at(-1)).toBe('pixels'); // and goes on with the pixel maps
    const before = fake.started.length;
    await service.matches(3, 4, settings); // served from the prefetch
    expect(fake.started.length).toBe(before);
  });

  it('keeps the forward statistics of the newest two pairs only, and none once their pixel maps are done', async () => {
    const fake = fakeModel();
    const service = new ExplanationService(
      async () => fake.model,
      () => ({ path: PHOTO }),
    );
    const settings = { kLines: 20, kColors: 10 };
    const matchedOf = async (a: number, b: number) => {
      const pending = service.matches(a, b, settings);
      await new Promise((r) => setTimeout(r, 150));
      fake.finish(fake.started.at(-1)!);
      await pending;
    };
    const held: { forwardState: { perImage: unknown } }[] = [];
    const original = fake.model.matchPair.bind(fake.model);
    fake.model.matchPair = (async (...args: Parameters<typeof original>) => {
      const matched = await original(...args);
      held.push(matched as never);
      return matched;
    }) as typeof original;
    await matchedOf(1, 2);
    await matchedOf(3, 4);
    expect(held.map((m) => m.forwardState.perImage !== null)).toEqual([true, true]);
    await matchedOf(5, 6);
    expect(held.map((m) => m.forwardState.perImage !== null)).toEqual([false, true, true]);
    await service.pixels(5, 6, settings);
    expect(held.map((m) => m.forwardState.perImage !== null)).toEqual([false, true, false]);
  });

  it('computes a pair again once an annotation’s box has moved (an import changed it)', async () => {
    const fake = fakeModel();
    let crop: Crop | undefined = undefined; // no box at first: the whole photo
    const service = new ExplanationService(
      async () => fake.model,
      () => ({ path: PHOTO, crop }),
    );
    const settings = { kLines: 20, kColors: 10 };
    const matched = async () => {
      const pending = service.matches(1, 2, settings);
      await new Promise((r) => setTimeout(r, 150));
      fake.finish(fake.started.at(-1)!);
      return pending;
    };
    await matched();
    await service.matches(1, 2, settings);
    expect(fake.started).toHaveLength(1); // the same box: from the cache
    crop = { x: 100, y: 80, w: 200, h: 150 };
    await matched();
    expect(fake.started).toHaveLength(2);
  });
});
