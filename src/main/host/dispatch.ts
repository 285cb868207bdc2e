import { ZodError, type z } from 'zod';
import type { AppApi, AppMethod } from '../../shared/app-api.ts';
import {
  CallRequest,
  isBridgeMethod,
  parseBridgeArgs,
  type CallError,
  type CallOutcome,
  type JobProgressEvent,
  type MediaRequest,
} from '../../shared/bridge.ts';
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

/** An error a front raises on purpose (a method it cannot offer): its message reaches the window. */
export class FrontError extends Error {
  constructor(
    readonly kind: CallError['kind'],
    message: string,
  ) {
    super(message);
  }
}

const isAppMethod = (method: string): method is AppMethod => method.startsWith('app.');

function invalid(error: ZodError): CallOutcome<never> {
  const message = error.issues
    .map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`)
    .join('; ');
  return { ok: false, error: { kind: 'invalid-arguments', message } };
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
  if (!request.success) return invalid(request.error);
  const { method, args, callId } = request.data;
  if (!isBridgeMethod(method))
    return { ok: false, error: { kind: 'unknown-method', message: `unknown method ${method}` } };
  if (!isAppMethod(method)) return host.call(method, args, callId);
  try {
    const parsed = parseBridgeArgs(method, args);
    return { ok: true, value: await (app[method] as (a: unknown) => unknown)(parsed) };
  } catch (error) {
    if (error instanceof ZodError) return invalid(error);
    if (error instanceof FrontError)
      return { ok: false, error: { kind: error.kind, message: error.message } };
    console.error(error);
    return { ok: false, error: { kind: 'failed', message: String((error as Error)?.message ?? error) } };
  }
}

/** HTTP status of an outcome (the body carries the outcome itself). */
export function statusOf(outcome: CallOutcome): number {
  if (outcome.ok) return 200;
  return { 'invalid-arguments': 400, 'unknown-method': 404, 'not-found': 404, unavailable: 409, failed: 500 }[
    outcome.error.kind
  ];
}
