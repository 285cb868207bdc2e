import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { ReidModel } from '../../src/main/models/reid-model.ts';
import { Workbench } from '../../src/main/workbench.ts';

const MODEL = resolve('test/fixtures/golden/resnet-narrow-128/model.onnx');

describe('explanations through the workbench API', () => {
  let folder: string;
  let workbench: Workbench;
  let handlers: ReturnType<typeof workbenchHandlers>;
  const loads = vi.spyOn(ReidModel, 'load');
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'pairx-explain-'));
    cpSync(resolve('test/fixtures/photos'), join(folder, 'photos'), { recursive: true });
    workbench = Workbench.init(folder);
    handlers = workbenchHandlers(workbench);
    await callApi(handlers, 'models.add', { path: MODEL });
    await callApi(handlers, 'models.select', { id: MODEL });
    await workbench.importFolder(folder);
    await workbench.embed({});
  });
  afterAll(() => {
    loads.mockRestore();
    workbench?.close();
  });

  it('loads the model once for adding, embedding and explaining it', async () => {
    const { queue } = await workbench.candidates({ k: 3, excludeSameName: false, sameSide: false });
    await callApi(handlers, 'pairs.explain', { a: queue[0].a, b: queue[0].b });
    // models.select looks through every known model (the bundled default too), each loaded once.
    const paths = loads.mock.calls.map(([path]) => resolve(path));
    expect(paths.filter((path) => path === MODEL)).toHaveLength(1);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('lists and selects models, lists layers, keeps settings', async () => {
    const models = await callApi(handlers, 'models.list', {});
    expect(models.find((m) => m.path === MODEL)?.active).toBe(true);
    const layers = await callApi(handlers, 'models.layers', {});
    expect(layers.layers.map((l) => l.key)).toContain('layer3');
    const settings = await callApi(handlers, 'settings.set', { reviewer: 'ana' });
    expect(settings.reviewer).toBe('ana');
    await expect(callApi(handlers, 'settings.set', { provider: 'tpu' })).rejects.toThrow(/unknown execution provider/);
  });

  it('explains a candidate pair in two phases and records its plausibility', async () => {
    const { queue, model } = await workbench.candidates({ k: 3, excludeSameName: false, sameSide: false });
    expect(queue.length).toBeGreaterThan(0);
    const { a, b } = queue[0];
    const matches = await callApi(handlers, 'pairs.explain', { a, b, layer: 'layer3' });
    expect(matches.model).toBe(model);
    expect(matches.matches.length).toBeGreaterThan(0);
    expect(matches.relevanceMaps[0]).toHaveLength(matches.layer.height * matches.layer.width);
    const pixels = await callApi(handlers, 'pairs.pixels', { a, b, layer: 'layer3' });
    expect(pixels.kColors).toBe(Math.min(10, matches.matches.length));
    expect(Buffer.from(pixels.maps[0], 'base64').length).toBe(pixels.kColors * pixels.width * pixels.height);
    expect((await callApi(handlers, 'settings.get', {})).providerInUse).toBe('cpu');
    if (matches.plausibility) {
      const again = await workbench.candidates({ k: 3, excludeSameName: false, sameSide: false, rerank: 'plausibility' });
      expect(again.queue.find((p) => p.a === a && p.b === b)?.plausibility).toBeCloseTo(matches.plausibility.inlierRatio, 6);
    }
    const png = await workbench.explanationPng(a, b, { layer: 'layer3' });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('says which annotation is missing', async () => {
    await expect(callApi(handlers, 'pairs.explain', { a: 1, b: 99999 })).rejects.toThrow(/there is no annotation 99999/);
  });
});

describe('pairx catalog explain and score', () => {
  it('explains two annotations and scores the queue from the command line', async () => {
    const { execFileSync } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    const folder = mkdtempSync(join(tmpdir(), 'pairx-cli-explain-'));
    cpSync(resolve('test/fixtures/photos'), join(folder, 'photos'), { recursive: true });
    const cli = (...args: string[]) => execFileSync('node', [resolve('bin/pairx.js'), 'catalog', ...args, '--catalog', folder], { encoding: 'utf8' });
    execFileSync('node', [resolve('bin/pairx.js'), 'catalog', 'init', folder]);
    cli('import', folder);
    cli('embed', '--model', MODEL);
    const picture = join(folder, 'pair.png');
    expect(cli('explain', '1', '2', '--layer', 'layer2', '--out', picture)).toMatch(/similarity 0\.\d+, layer layer2, \d+ matches/);
    expect(existsSync(picture)).toBe(true);
    const scored = JSON.parse(cli('score', '--limit', '3', '--json'));
    expect(scored.length).toBeGreaterThan(0);
    const queue = JSON.parse(cli('candidates', '--rerank', 'plausibility', '--json')).queue;
    expect(queue.some((p: { plausibility: number | null }) => p.plausibility !== null)).toBe(true);
  });
});
