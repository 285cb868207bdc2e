import { parentPort } from 'node:worker_threads';
import type { CallOutcome } from '../../shared/bridge.ts';
import { assertApiMethod, callApi, workbenchHandlers } from '../api-handlers.ts';
import { PairxError } from '../errors.ts';
import { Workbench } from '../workbench.ts';
import { failure } from './dispatch.ts';
import type { HostMessage, WorkerMessage } from './protocol.ts';

/**
 * The workbench thread: owns the open catalog and its models. onnxruntime's runs, imports and
 * thumbnailing happen here, so the thread that draws windows or answers HTTP never waits on them.
 */
if (!parentPort) throw new Error('workbench-worker.ts runs as a worker thread (see workbench-host.ts)');
const port = parentPort;

let workbench: Workbench | null = null;
let handlers: ReturnType<typeof workbenchHandlers> | null = null;
const running = new Map<string, AbortController>();

const post = (message: WorkerMessage) => port.postMessage(message);

function current(): Workbench {
  if (!workbench) throw new PairxError('unavailable', 'no catalog is open');
  return workbench;
}

async function reply<T>(work: () => T | Promise<T>): Promise<CallOutcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return failure(error);
  }
}

port.on('message', async (message: HostMessage) => {
  switch (message.type) {
    case 'open': {
      const outcome = await reply(() => {
        workbench?.close();
        workbench = null;
        handlers = null;
        // The window's queue gets plausibility for its next questions while the reviewer looks at this one.
        const options = { backgroundScoring: true };
        const opened = message.create ? Workbench.init(message.folder, options) : Workbench.open(message.folder, options);
        workbench = opened;
        handlers = workbenchHandlers(opened);
        return { catalog: opened.folder };
      });
      post({ type: 'reply', id: message.id, outcome });
      break;
    }
    case 'call': {
      const { id, method, args, callId } = message;
      const controller = new AbortController();
      if (callId) running.set(callId, controller);
      const outcome = await reply(() => {
        assertApiMethod(method);
        current();
        return callApi(handlers!, method, args, {
          signal: controller.signal,
          onProgress: callId ? (progress) => post({ type: 'progress', callId, method, progress }) : undefined,
        });
      });
      if (callId) running.delete(callId);
      post({ type: 'reply', id, outcome });
      break;
    }
    case 'cancel':
      running.get(message.callId)?.abort();
      break;
    case 'media':
      post({ type: 'media', id: message.id, outcome: await reply(() => current().media(message.request)) });
      break;
    case 'close':
      for (const controller of running.values()) controller.abort();
      await workbench?.release().catch((error: unknown) => console.error(error));
      workbench?.close();
      workbench = null;
      post({ type: 'reply', id: message.id, outcome: { ok: true, value: null } });
      break;
  }
});
