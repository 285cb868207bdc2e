import type { Progress } from '../../shared/api.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';

export type ProgressListener = (progress: Progress) => void;

export interface JobControls {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** How often a running job writes its progress to the jobs table (other processes read it from there). */
const PERSIST_INTERVAL_MS = 1000;

/**
 * Runs a long job with a row in the jobs table: 'running' while it works (a killed process leaves it
 * so, which status reports as interrupted), then done, cancelled or failed. Progress goes to the
 * listener at once and to the table at most once a second.
 */
export async function trackJob<T extends { cancelled: boolean }>(
  store: CatalogStore,
  kind: string,
  params: unknown,
  controls: JobControls,
  run: (report: ProgressListener) => Promise<T>,
): Promise<T> {
  const jobId = store.jobs.start(kind, params);
  let persistedAt = 0;
  const report: ProgressListener = (progress) => {
    controls.onProgress?.(progress);
    const now = Date.now();
    if (now - persistedAt >= PERSIST_INTERVAL_MS) {
      persistedAt = now;
      store.jobs.progress(jobId, progress.done, progress.total);
    }
  };
  try {
    const result = await run(report);
    store.jobs.finish(jobId, result.cancelled ? 'cancelled' : 'done');
    return result;
  } catch (error) {
    if (store.db.open) store.jobs.finish(jobId, 'failed', (error as Error).message);
    throw error;
  }
}

/**
 * Prepares items with at most `concurrency` in flight and commits each one's result in item order, so
 * that what gets committed (and the ids it gets) does not depend on timing. Once `signal` aborts no
 * new item starts; the ones in flight are still committed. `prepare` must report failures in its
 * result rather than reject.
 */
export async function prepareInOrder<T, R>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal | undefined,
  prepare: (item: T) => Promise<R>,
  commit: (item: T, prepared: R) => void,
): Promise<void> {
  const prepared: Promise<R>[] = [];
  const startNext = () => {
    if (prepared.length < items.length && !signal?.aborted) prepared.push(prepare(items[prepared.length]));
  };
  for (let i = 0; i < concurrency; i++) startNext();
  for (let i = 0; i < prepared.length; i++) {
    const result = await prepared[i];
    startNext();
    commit(items[i], result);
  }
}
