import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CallOutcome, JobProgressEvent, MediaRequest } from '../../shared/bridge.ts';
import type { WorkbenchPort } from './dispatch.ts';
import type { HostMessage, Media, WorkerMessage } from './protocol.ts';

export interface WorkbenchHostOptions {
  /** The worker's entry: workbench-worker.ts (run through tsx) or the built workbench-worker.js. */
  entry: string | URL;
  /** Environment of the worker thread (defaults to this process's). */
  env?: Record<string, string | undefined>;
}

type Pending = { resolve: (outcome: CallOutcome<unknown>) => void };

/**
 * A front's handle on the workbench worker thread (workbench-worker.ts): the same calls as
 * `callApi`, answered as outcomes instead of exceptions, plus progress events and cancellation.
 * A worker that dies (a native crash in a model) is started again on the next call, with the same
 * catalog reopened; the calls it had in hand fail with a message instead of hanging.
 */
export class WorkbenchHost implements WorkbenchPort {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: JobProgressEvent) => void>();
  private openFolder: string | null = null;
  private closed = false;

  constructor(private readonly options: WorkbenchHostOptions) {}

  /** The open catalog's folder, or null. */
  get folder(): string | null {
    return this.openFolder;
  }

  /** Every job's progress, from whichever call started it (fronts forward them to their windows). */
  onProgress(listener: (event: JobProgressEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private spawn(): Worker {
    const entry =
      typeof this.options.entry === 'string' ? pathToFileURL(this.options.entry) : this.options.entry;
    const worker = entry.pathname.endsWith('.ts')
      ? // Node 20 does not apply `--import tsx` to a worker's own entry (ERR_UNKNOWN_FILE_EXTENSION), so the
        // worker starts from a one-line module that registers tsx and then imports the TypeScript entry.
        new Worker(new URL(`data:text/javascript,${encodeURIComponent(tsxBootstrap(entry))}`), {
          env: this.options.env ?? process.env,
        })
      : new Worker(fileURLToPath(entry), { env: this.options.env ?? process.env });
    worker.on('message', (message: WorkerMessage) => this.receive(message));
    worker.on('error', (error) => this.fail(worker, `the workbench thread failed: ${error.message}`));
    worker.on('exit', (code) => this.fail(worker, `the workbench thread stopped (exit code ${code})`));
    return worker;
  }

  private fail(worker: Worker, message: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    for (const { resolve } of this.pending.values())
      resolve({ ok: false, error: { kind: 'internal', message } });
    this.pending.clear();
  }

  private receive(message: WorkerMessage): void {
    if (message.type === 'progress') {
      const { type: _type, ...event } = message;
      for (const listener of this.listeners) listener(event);
      return;
    }
    const pending = this.pending.get(message.id);
    this.pending.delete(message.id);
    pending?.resolve(message.outcome);
  }

  private async ensureWorker(): Promise<Worker> {
    if (this.closed) throw new Error('the workbench host is closed');
    if (this.worker) return this.worker;
    this.worker = this.spawn();
    if (this.openFolder) {
      const reopened = await this.request<{ catalog: string }>({
        type: 'open',
        id: 0,
        folder: this.openFolder,
        create: false,
      });
      if (!reopened.ok) this.openFolder = null;
    }
    return this.worker!;
  }

  private async request<T>(message: HostMessage & { id: number }): Promise<CallOutcome<T>> {
    const worker = this.worker ?? (await this.ensureWorker());
    const id = this.nextId++;
    return new Promise<CallOutcome<T>>((resolve) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'] });
      worker.postMessage({ ...message, id });
    });
  }

  /** Opens (or creates) the catalog in `folder` in the worker, closing the one open before. */
  async open(folder: string, create = false): Promise<CallOutcome<{ catalog: string }>> {
    await this.ensureWorker();
    const outcome = await this.request<{ catalog: string }>({ type: 'open', id: 0, folder, create });
    if (outcome.ok) this.openFolder = outcome.value.catalog;
    return outcome;
  }

  /** One workbench API method; the worker validates `args` with the method's schema. */
  async call(method: string, args: unknown, callId?: string): Promise<CallOutcome> {
    await this.ensureWorker();
    return this.request({ type: 'call', id: 0, method, args, callId });
  }

  /** Asks the job started by the call `callId` to stop; false when no such call is running here. */
  cancel(callId: string): boolean {
    if (!this.worker) return false;
    this.worker.postMessage({ type: 'cancel', callId } satisfies HostMessage);
    return true;
  }

  async media(request: MediaRequest): Promise<CallOutcome<Media>> {
    await this.ensureWorker();
    return this.request<Media>({ type: 'media', id: 0, request });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const worker = this.worker;
    if (worker) {
      await Promise.race([
        this.request({ type: 'close', id: 0 }),
        new Promise((resolve) => setTimeout(resolve, 5000)),
      ]);
      await worker.terminate();
    }
    this.closed = true;
    this.worker = null;
  }
}

function tsxBootstrap(entry: URL): string {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  return `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(entry.href)});\n`;
}
