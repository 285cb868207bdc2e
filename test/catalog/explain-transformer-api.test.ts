import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { Workbench } from '../../src/main/workbench.ts';

/**
 * A user's transformer through the same API the Settings view and the review queue use: add the
 * model, select it, embed the catalog, review a candidate pair with its explanation (matches and heat
 * maps, then pixel maps, then the exported picture). ViT (class token, token layout) and Swin
 * (channels-last stages, windows).
 */
describe.each([
  // Four blocks: the default is the one at two thirds of the depth.
  { name: 'ViT', model: 'test/fixtures/golden/vit-tiny-224/model.onnx', layer: 'blocks.2', grid: [96, 14, 14], defaultLayer: 'blocks.2' },
  { name: 'Swin', model: 'test/fixtures/golden/swin-tiny-224/model.onnx', layer: 'features.3', grid: [64, 28, 28] },
])('a $name model added in Settings, embedded and reviewed with explanations', ({ model, layer, grid, defaultLayer }) => {
  const path = resolve(model);
  let workbench: Workbench;
  let handlers: ReturnType<typeof workbenchHandlers>;
  beforeAll(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pairx-transformer-'));
    cpSync(resolve('test/fixtures/photos'), join(folder, 'photos'), { recursive: true });
    workbench = Workbench.init(folder);
    handlers = workbenchHandlers(workbench);
    await callApi(handlers, 'models.add', { path });
    await callApi(handlers, 'models.select', { id: path });
    await workbench.importFolder(folder);
    await workbench.embed({});
  });
  afterAll(() => workbench?.close());

  it('lists its block tree with the feature-map grids', async () => {
    const layers = await callApi(handlers, 'models.layers', {});
    const entry = layers.layers.find((l) => l.key === layer);
    expect(entry?.grid).toEqual({ channels: grid[0], height: grid[1], width: grid[2] });
    expect(layers.layers.find((l) => l.key === layers.default)?.grid).toBeDefined();
    if (defaultLayer) expect(layers.default).toBe(defaultLayer);
  });

  it('explains a candidate pair: matches and heat maps on the patch grid, then pixel maps and the picture', async () => {
    const models = await callApi(handlers, 'models.list', {});
    expect(models.find((m) => m.path === path)?.active).toBe(true);
    const { queue } = await workbench.candidates({ k: 3, excludeSameName: false, sameSide: false });
    const { a, b } = queue[0];
    const matches = await callApi(handlers, 'pairs.explain', { a, b, layer });
    expect([matches.layer.channels, matches.layer.height, matches.layer.width]).toEqual(grid);
    expect(matches.relevanceMaps[0]).toHaveLength(grid[1] * grid[2]);
    expect(matches.matches.length).toBeGreaterThan(0);
    const pixels = await callApi(handlers, 'pairs.pixels', { a, b, layer });
    expect(pixels.kColors).toBe(Math.min(10, matches.matches.length));
    const maps = Buffer.from(pixels.maps[0], 'base64');
    expect(maps.length).toBe(pixels.kColors * pixels.width * pixels.height);
    expect(maps.some((v) => v > 0)).toBe(true);
    const png = await workbench.explanationPng(a, b, { layer });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // The default layer explains too (no layer given: the model's choice for transformers).
    const byDefault = await callApi(handlers, 'pairs.explain', { a, b });
    expect(byDefault.matches.length).toBeGreaterThan(0);
  });
});
