import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Workbench } from '../../src/main/workbench.ts';
import { FakeEmbedder } from '../fixtures/fake-embedder.ts';
import { DEMO, copyDemoPhotos, tempFolder } from '../catalog/helpers.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = join(REPO, 'test/fixtures/catalog-worker.ts');

interface Worker {
  child: ChildProcess;
  lines: string[];
  /** Resolves when a line starting with `prefix` has been printed (or the worker ended). */
  until(prefix: string): Promise<void>;
  exited: Promise<number | null>;
}

function startWorker(...args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: () => void }[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.filter((w) => line.startsWith(w.prefix))) waiter.resolve();
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(stderr);
      waiters.forEach((w) => w.resolve());
      resolve(code);
    }),
  );
  return {
    child,
    lines,
    exited,
    until: (prefix) => (lines.some((line) => line.startsWith(prefix)) ? Promise.resolve() : new Promise((resolve) => waiters.push({ prefix, resolve }))),
  };
}

async function killAt(worker: Worker, prefix: string): Promise<void> {
  await worker.until(prefix);
  worker.child.kill('SIGKILL');
  expect(await worker.exited).toBe(null);
  expect(worker.lines.some((line) => line.startsWith('done'))).toBe(false);
}

describe('a catalog survives SIGKILL at any point', () => {
  it('during import and embedding: it opens, passes integrity_check, resumes, and keeps every decision', async () => {
    const root = tempFolder();
    copyDemoPhotos(root, 10);
    const workbench = Workbench.init(root);
    await workbench.importFolder();
    workbench.decide(1, 2, 'same', { reviewer: 'ana' });
    workbench.decide(3, 4, 'different', { note: 'other ear notch' });
    workbench.decide(1, 5, 'same');
    workbench.undo();
    const decisionsBefore = workbench.decisions();
    workbench.close();

    copyDemoPhotos(root);
    const csv = join(DEMO, 'annotations.csv');
    // Kill points: early and late in the photo phase, in the CSV phase, and at a moment nobody chose.
    for (const point of ['images 1', 'images 14', 'annotations']) await killAt(startWorker(root, 'import', csv, '--slow', '25'), point);
    const unpaced = startWorker(root, 'import', csv);
    await unpaced.until('images');
    await new Promise((resolve) => setTimeout(resolve, 40 + Math.random() * 200));
    unpaced.child.kill('SIGKILL');
    await unpaced.exited;

    const reopened = Workbench.open(root);
    expect(reopened.store.integrityCheck()).toEqual(['ok']);
    expect(reopened.status().unfinishedJobs.every((job) => job.state === 'interrupted')).toBe(true);
    const resumed = await reopened.importFolder(root, { annotationsCsv: csv });
    expect(resumed.failed).toBe(0);
    // The only issues: the CSV's names for the two annotations a reviewer had named before, which win.
    expect(resumed.issues.map((issue) => issue.message)).toEqual([
      'annotation 1 is already named "ind-0001"; kept (the CSV says "nyala-106")',
      'annotation 2 is already named "ind-0001"; kept (the CSV says "nyala-106")',
    ]);
    expect(reopened.status()).toMatchObject({ images: 40, annotations: 40, namedAnnotations: 40, individuals: 11, unfinishedJobs: [] });
    expect(reopened.decisions()).toEqual(decisionsBefore);
    expect(readdirSync(join(root, '.pairx/thumbs')).filter((name) => !/^[0-9a-f]{64}\.jpg$/.test(name))).toEqual([]);
    reopened.close();

    await killAt(startWorker(root, 'embed', '--slow', '25'), 'embed 6');
    const afterEmbedKill = Workbench.open(root);
    expect(afterEmbedKill.store.integrityCheck()).toEqual(['ok']);
    const stored = afterEmbedKill.status().embedded[0].embedded;
    expect(stored).toBeGreaterThanOrEqual(6);
    expect(stored).toBeLessThan(40);
    expect(await afterEmbedKill.embed({ embedder: new FakeEmbedder(), batchSize: 8 })).toMatchObject({ embedded: 40 - stored, skipped: stored, failed: 0 });
    expect(afterEmbedKill.status()).toMatchObject({ embedded: [{ embedded: 40 }], unfinishedJobs: [] });
    expect(afterEmbedKill.decisions()).toEqual(decisionsBefore);
    expect(afterEmbedKill.store.integrityCheck()).toEqual(['ok']);
    afterEmbedKill.close();
  });

  it('lets another connection read and decide while a job writes (WAL)', async () => {
    const root = tempFolder();
    copyDemoPhotos(root, 4);
    const setup = Workbench.init(root);
    await setup.importFolder();
    setup.close();
    copyDemoPhotos(root);

    const worker = startWorker(root, 'import', join(DEMO, 'annotations.csv'), '--slow', '10');
    const reader = Workbench.open(root);
    await worker.until('images');
    const seen: number[] = [];
    let running = true;
    void worker.exited.then(() => (running = false));
    while (running) {
      seen.push(reader.status().images);
      if (seen.length === 5) reader.decide(1, 2, 'unsure', { note: 'written while the import runs' });
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    expect(await worker.exited).toBe(0);
    expect(seen.length).toBeGreaterThan(5);
    // The reader saw the import progress, never a count going back.
    expect(seen.some((count) => count > 4 && count < 40)).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(reader.status()).toMatchObject({ images: 40, logEntries: 1 });
    reader.close();
  });
});
