import type { Progress } from '../../shared/api.ts';

export type ProgressListener = (progress: Progress) => void;

export interface JobControls {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** Where a job's row lives (the catalog's jobs table), so that other processes can follow it. */
export interface JobLog {
  start(kind: string, params: unknown): number;
  progress(id: number, done: number, total: number | null): void;
  finish(id: number, state: 'done' | 'cancelled' | 'failed', error?: string | null): void;
  /** False once its database is closed: a job that failed because of that cannot record it. */
  readonly open: boolean;
}

/** How often a running job writes its progress to the jobs table (other processes read it from there). */
const PERSIST_INTERVAL_MS = 1000;

/**
 * Runs a long job with a row in the jobs table: 'running' while it works (a killed process leaves it
 * so, which status reports as interrupted), then done, cancelled or failed. Progress goes to the
 * listener at once and to the table at most once a second.
 */
export async function trackJob<T extends { cancelled: boolean }>(
  log: JobLog,
  kind: string,
  params: unknown,
  controls: JobControls,
  run: (report: ProgressListener) => Promise<T>,
): Promise<T> {
  const jobId = log.start(kind, params);
  let persistedAt = 0;
  const report: ProgressListener = (progress) => {
    controls.onProgress?.(progress);
    const now = Date.now();
    if (now - persistedAt >= PERSIST_INTERVAL_MS) {
      persistedAt = now;
      log.progress(jobId, progress.done, progress.total);
    }
  };
  try {
    const result = await run(report);
    log.finish(jobId, result.cancelled ? 'cancelled' : 'done');
    return result;
  } catch (error) {
    if (log.open) log.finish(jobId, 'failed', (error as Error).message);
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
