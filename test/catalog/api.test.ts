import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZodError } from 'zod';
import { describe, expect, it } from 'vitest';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { API_METHODS, api } from '../../src/shared/api.ts';
import { FakeEmbedder } from '../fixtures/fake-embedder.ts';
import { copyDemoPhotos, tempFolder } from './helpers.ts';

const SHARED = fileURLToPath(new URL('../../src/shared/', import.meta.url));

describe('the API contract', () => {
  it('names methods in one casing, area.verb', () => {
    expect(API_METHODS).toEqual(expect.arrayContaining(['catalog.status', 'catalog.list', 'catalog.import', 'catalog.embed', 'pairs.candidates', 'decisions.decide', 'decisions.undo', 'individuals.list', 'individuals.rename', 'catalog.export']));
    for (const method of API_METHODS) expect(method).toMatch(/^[a-z]+\.[a-z][A-Za-z]*$/);
  });

  it('src/shared imports nothing from src/main or src/renderer', () => {
    for (const file of readdirSync(SHARED, { recursive: true }) as string[]) {
      if (!file.endsWith('.ts')) continue;
      const source = readFileSync(join(SHARED, file), 'utf8');
      expect(source).not.toMatch(/from\s+['"][^'"]*\/(main|renderer)\//);
    }
  });

  it('validates arguments before the workbench sees them, and results match their schemas', async () => {
    const root = tempFolder();
    copyDemoPhotos(root, 4);
    const workbench = Workbench.init(root, { embedderFactory: async () => new FakeEmbedder() });
    const handlers = workbenchHandlers(workbench);

    await expect(callApi(handlers, 'decisions.decide', { a: 1, b: 2, verdict: 'maybe' })).rejects.toBeInstanceOf(ZodError);
    await expect(callApi(handlers, 'pairs.candidates', { k: -1 })).rejects.toBeInstanceOf(ZodError);
    await expect(callApi(handlers, 'individuals.rename', { from: 'a' })).rejects.toBeInstanceOf(ZodError);

    const check = async <M extends keyof typeof api>(method: M, args: unknown) => {
      const result = await callApi(handlers, method, args);
      expect(() => api[method].result.parse(result)).not.toThrow();
      return result;
    };
    await check('catalog.import', {});
    await check('catalog.embed', { batchSize: 2 });
    const candidates = await check('pairs.candidates', { order: 'pairs' });
    expect(candidates.perAnnotation[0].candidates).toHaveLength(3);
    await check('decisions.decide', { a: 1, b: 2, verdict: 'same', reviewer: 'ana' });
    // However unlike the model finds the two, two answers join them.
    await check('decisions.decide', { a: 1, b: 2, verdict: 'same', reviewer: 'ana' });
    const names = await check('individuals.list', {});
    expect(names).toHaveLength(1);
    await check('individuals.rename', { from: names[0].name, to: 'Ana' });
    await check('decisions.decide', { a: 3, b: 2, verdict: 'unsure' });
    await check('decisions.undo', {});
    await check('decisions.list', undefined);
    await check('individuals.list', {});
    await check('catalog.list', { individual: 'Ana' });
    await check('catalog.export', { outDir: join(tempFolder(), 'out') });
    const status = await check('catalog.status', {});
    expect(status).toMatchObject({ images: 4, annotations: 4, namedAnnotations: 2, decidedPairs: 1, logEntries: 4, embedded: [{ embedded: 4 }] });
    workbench.close();
  });
});
