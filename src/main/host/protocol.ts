import type { CallOutcome, JobProgressEvent, Media, MediaRequest } from '../../shared/bridge.ts';

export type { Media };

/**
 * Messages between a front's thread (Electron main, the local server) and the workbench worker thread,
 * which owns the catalog and runs the models so that inference never blocks the front.
 */
export type HostMessage =
  | { type: 'open'; id: number; folder: string; create: boolean }
  /** Any name: the worker checks it (assertApiMethod) and validates `args`, once. */
  | { type: 'call'; id: number; method: string; args: unknown; callId?: string }
  | { type: 'cancel'; callId: string }
  | { type: 'media'; id: number; request: MediaRequest }
  | { type: 'close'; id: number };

export type WorkerMessage =
  | { type: 'reply'; id: number; outcome: CallOutcome }
  | { type: 'media'; id: number; outcome: CallOutcome<Media> }
  | ({ type: 'progress' } & JobProgressEvent);
