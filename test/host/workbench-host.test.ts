import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusOf } from '../../src/main/host/dispatch.ts';
import { WorkbenchHost } from '../../src/main/host/workbench-host.ts';

/** The worker thread the Electron window and the local server both use, on a catalog of four photos. */
const PHOTOS = resolve('test/fixtures/photos');
let folder: string;
let host: WorkbenchHost;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'pairx-host-'));
  for (const file of ['nyala-100-left-a.jpg', 'nyala-100-left-b.jpg', 'nyala-101-left-a.jpg'])
    copyFileSync(join(PHOTOS, file), join(folder, file));
  host = new WorkbenchHost({ entry: resolve('src/main/host/workbench-worker.ts') });
});

afterAll(async () => {
  await host?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('the workbench worker thread', () => {
  it('answers that no catalog is open before one is', async () => {
    expect(await host.call('catalog.status', {})).toEqual({
      ok: false,
      error: { kind: 'unavailable', message: 'no catalog is open' },
    });
  });

  it('creates a catalog, runs an import job with progress events, and answers calls', async () => {
    expect(await host.open(folder, true)).toEqual({ ok: true, value: { catalog: folder } });
    const events: string[] = [];
    const stop = host.onProgress((event) => events.push(`${event.callId}:${event.method}`));
    const imported = await host.call('catalog.import', {}, 'job-1');
    stop();
    expect(imported).toMatchObject({ ok: true, value: { added: 3, cancelled: false } });
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events)).toEqual(new Set(['job-1:catalog.import']));
    expect(await host.call('catalog.status', {})).toMatchObject({
      ok: true,
      value: { images: 3, annotations: 3 },
    });
  });

  it('validates arguments in the worker and reports unknown methods', async () => {
    const invalid = await host.call('catalog.list', { limit: -3 });
    expect(invalid).toMatchObject({ ok: false, error: { kind: 'invalid-arguments' } });
    expect(await host.call('app.info', {})).toMatchObject({ ok: false, error: { kind: 'unknown-method' } });
  });

  it('serves thumbnails and photos as files inside the catalog, and refuses unknown annotations', async () => {
    const thumb = await host.media({ kind: 'thumb', annotationId: 1 });
    expect(
      thumb.ok && 'file' in thumb.value && thumb.value.file.startsWith(join(folder, '.pairx', 'thumbs')),
    ).toBe(true);
    const photo = await host.media({ kind: 'photo', annotationId: 2 });
    expect(photo).toMatchObject({ ok: true, value: { contentType: 'image/jpeg' } });
    expect(await host.media({ kind: 'photo', annotationId: 99 })).toMatchObject({ ok: false });
  });

  it('starts a new thread with the same catalog when the thread dies', async () => {
    // Simulates a native crash: the thread goes away; the next call gets a fresh one, catalog reopened.
    await (host as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await new Promise((r) => setTimeout(r, 50));
    expect(await host.call('catalog.status', {})).toMatchObject({ ok: true, value: { images: 3 } });
  });

  it('says whose problem a failure is: a model that cannot be used, a missing one, a bad argument', async () => {
    const notOnnx = join(folder, 'not-a-model.onnx');
    writeFileSync(notOnnx, 'these bytes are no ONNX model');
    const unusable = await host.call('models.add', { path: notOnnx });
    expect(unusable).toMatchObject({ ok: false, error: { kind: 'unsupported-model' } });
    expect(statusOf(unusable)).toBe(422);
    const missing = await host.call('models.add', { path: join(folder, 'no-such-model.onnx') });
    expect(missing).toMatchObject({ ok: false, error: { kind: 'not-found', message: expect.stringContaining('no such model') } });
    expect(statusOf(missing)).toBe(404);
    const provider = await host.call('settings.set', { provider: 'tpu' });
    expect(provider).toMatchObject({ ok: false, error: { kind: 'invalid-arguments' } });
    expect(statusOf(provider)).toBe(400);
    const photo = await host.call('pairs.explain', { a: 1, b: 99999 });
    expect(photo).toMatchObject({ ok: false, error: { kind: 'not-found', message: 'there is no annotation 99999' } });
  });
});
