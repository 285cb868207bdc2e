import type { z } from 'zod';
import type { AppApi, AppMethod } from '../../shared/app-api.ts';
import {
  CallRequest,
  isBridgeMethod,
  parseBridgeArgs,
  type CallErrorKind,
  type CallOutcome,
  type JobProgressEvent,
  type MediaRequest,
} from '../../shared/bridge.ts';
import { describeError, PairxError } from '../errors.ts';
import type { Media } from './protocol.ts';

/**
 * What a front (Electron's main process, the local server) needs of the workbench: WorkbenchHost
 * implements it over the worker thread; tests pass a stand-in.
 */
export interface WorkbenchPort {
  /** The open catalog's folder, or null. */
  readonly folder: string | null;
  call(method: string, args: unknown, callId?: string): Promise<CallOutcome>;
  cancel(callId: string): boolean;
  media(request: MediaRequest): Promise<CallOutcome<Media>>;
  onProgress(listener: (event: JobProgressEvent) => void): () => void;
}

/** How a front answers the shell's methods (src/shared/app-api.ts); arguments arrive validated. */
export type AppHandlers = {
  [M in AppMethod]: (
    args: z.output<AppApi[M]['args']>,
  ) => z.output<AppApi[M]['result']> | Promise<z.output<AppApi[M]['result']>>;
};

const isAppMethod = (method: string): method is AppMethod => method.startsWith('app.');

/** A failure as the window gets it; a bug's stack stays in this process's log. */
export function failure(error: unknown): CallOutcome<never> {
  const described = describeError(error);
  if (described.kind === 'internal') console.error(error);
  return { ok: false, error: described };
}

/**
 * One call from a window (IPC message or HTTP body), whatever it holds: the shell's methods are
 * answered here, the workbench's go to its thread. Never throws; every failure is an outcome.
 */
export async function dispatchCall(
  host: WorkbenchPort,
  app: AppHandlers,
  raw: unknown,
): Promise<CallOutcome> {
  const request = CallRequest.safeParse(raw);
  if (!request.success) return failure(request.error);
  const { method, args, callId } = request.data;
  if (!isBridgeMethod(method)) return failure(new PairxError('unknown-method', `unknown method ${method}`));
  // The workbench's methods are validated once, by callApi in the workbench thread.
  if (!isAppMethod(method)) return host.call(method, args, callId);
  try {
    const parsed = parseBridgeArgs(method, args);
    return { ok: true, value: await (app[method] as (a: unknown) => unknown)(parsed) };
  } catch (error) {
    return failure(error);
  }
}

/** A workbench call's value, or its failure thrown again (for a shell method that makes such a call). */
export async function valueOf<T>(outcome: Promise<CallOutcome>): Promise<T> {
  const settled = await outcome;
  if (!settled.ok) throw new PairxError(settled.error.kind, settled.error.message);
  return settled.value as T;
}

const HTTP_STATUS: Record<CallErrorKind, number> = {
  'invalid-arguments': 400,
  'not-found': 404,
  conflict: 409,
  'unsupported-model': 422,
  internal: 500,
  'unknown-method': 404,
  unavailable: 409,
};

/** HTTP status of an outcome (the body carries the outcome itself). */
export function statusOf(outcome: CallOutcome): number {
  return outcome.ok ? 200 : HTTP_STATUS[outcome.error.kind];
}
