import { z } from 'zod';
import { api, Progress } from './api.ts';
import { appApi, PairSettingsArgs } from './app-api.ts';

/**
 * What the renderer sees of the program, whichever front carries it: the workbench API and the shell's
 * methods under one `call`, progress events under `on`. The preload exposes exactly this as
 * `window.pairx`; the browser front's HTTP client implements the same interface. Nothing here is
 * written twice by hand: method names, arguments and results all come from the zod tables.
 */
export const bridgeMethods = { ...api, ...appApi };
export type BridgeMethods = typeof bridgeMethods;
export type BridgeMethod = keyof BridgeMethods;
/** What a caller passes (defaults may be left out). */
export type BridgeArgs<M extends BridgeMethod> = z.input<BridgeMethods[M]['args']>;
export type BridgeResult<M extends BridgeMethod> = z.output<BridgeMethods[M]['result']>;

export const isBridgeMethod = (method: unknown): method is BridgeMethod =>
  typeof method === 'string' && Object.prototype.hasOwnProperty.call(bridgeMethods, method);

/** Validates a method's arguments with its schema (defaults filled in); throws on an unknown method. */
export function parseBridgeArgs<M extends BridgeMethod>(
  method: M,
  args: unknown,
): z.output<BridgeMethods[M]['args']> {
  if (!isBridgeMethod(method)) throw new Error(`unknown method ${String(method)}`);
  return bridgeMethods[method].args.parse(args ?? {}) as z.output<BridgeMethods[M]['args']>;
}

/** One call as it crosses a process boundary (IPC message, HTTP body). */
export const CallRequest = z.object({
  method: z.string().min(1).max(100),
  args: z.unknown().optional(),
  /** Chosen by the caller: progress events carry it, and `app.cancel` names the job by it. */
  callId: z.string().min(1).max(100).optional(),
});
export type CallRequest = z.infer<typeof CallRequest>;

/**
 * Whose problem a failed call is: the five kinds of the program's errors (src/main/errors.ts), then the
 * two a front adds (a method it does not know, a service not there: no catalog open, a route refused).
 */
export const CallErrorKind = z.enum([
  /** Bad input: the arguments, or a file they name, are wrong; fix them and try again. */
  'invalid-arguments',
  'not-found',
  /** The request contradicts the catalog's state (two names for one individual). */
  'conflict',
  /** The model cannot be loaded, compiled or run here (bad card, unsupported operator, no provider). */
  'unsupported-model',
  /** A bug: the log has the stack. */
  'internal',
  'unknown-method',
  'unavailable',
]);
export type CallErrorKind = z.infer<typeof CallErrorKind>;
export const CallError = z.object({ kind: CallErrorKind, message: z.string() });
export type CallError = z.infer<typeof CallError>;
/** Errors travel as data, so that the renderer shows the message and not a transport's wrapping of it. */
export type CallOutcome<T = unknown> = { ok: true; value: T } | { ok: false; error: CallError };

export const JobProgressEvent = z.object({ callId: z.string(), method: z.string(), progress: Progress });
export type JobProgressEvent = z.infer<typeof JobProgressEvent>;

export interface BridgeEvents {
  progress: JobProgressEvent;
}
export type BridgeEvent = keyof BridgeEvents;
export const BRIDGE_EVENTS: readonly BridgeEvent[] = ['progress'];

export interface CallOptions {
  /** Name the call to follow its progress events and to cancel it with `app.cancel`. */
  callId?: string;
}

export interface PairxBridge {
  call<M extends BridgeMethod>(
    method: M,
    args?: BridgeArgs<M>,
    options?: CallOptions,
  ): Promise<BridgeResult<M>>;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends BridgeEvent>(event: E, listener: (payload: BridgeEvents[E]) => void): () => void;
}

/** Electron's IPC channels (preload ↔ main). */
export const IPC_CALL = 'pairx:call';
export const IPC_EVENT = 'pairx:event';

// ---------------------------------------------------------------------------------------- binary media
/**
 * Pictures reach the renderer by URL (an <img> or a download link cannot carry a token in a header):
 * `pairx://media/<path>` in Electron, `/media/<path>?token=…` in the browser. Media are named by
 * annotation id, never by a file path, so a request cannot point outside the catalog.
 */
export type MediaRequest =
  /**
   * The model-sized view of an annotation, PNG: explanation coordinates refer to it. `version` (any
   * text that changes with the annotation's box, see annotationVersion) gives a changed box a new address.
   */
  | { kind: 'view'; annotationId: number; version?: string }
  /** The annotation's thumbnail (JPEG): its box cut out (rotated by theta), or the whole photo's. */
  | { kind: 'thumb'; annotationId: number; version?: string }
  /** The original photo file. */
  | { kind: 'photo'; annotationId: number; version?: string }
  /** A photo upright (EXIF orientation applied), at most IMAGE_MEDIA_SIDE pixels long, JPEG: the photo view. */
  | { kind: 'image'; imageId: number }
  /** A photo's thumbnail (JPEG). */
  | { kind: 'image-thumb'; imageId: number }
  /** The explanation picture in the reference layout (PNG). */
  | ({ kind: 'export' } & z.output<typeof PairSettingsArgs>);

/** A picture's bytes, or a file inside the catalog for the front to stream. */
export type Media = { contentType: string; bytes: Uint8Array } | { contentType: string; file: string };

const MEDIA_ANNOTATION_KINDS = ['view', 'thumb', 'photo'] as const;
const MEDIA_IMAGE_KINDS = ['image', 'image-thumb'] as const;

/** Longest side of the `image` media (the photo view draws boxes over it, in the photo's own pixels). */
export const IMAGE_MEDIA_SIDE = 2048;

/** Text that changes whenever an annotation's box or rotation does: its media `version`. */
export const annotationVersion = (annotation: {
  box: { x: number; y: number; w: number; h: number } | null;
  theta: number;
}): string =>
  annotation.box
    ? [annotation.box.x, annotation.box.y, annotation.box.w, annotation.box.h, annotation.theta].map((v) => Math.round(v * 1000)).join('_')
    : 'whole';

/** The path and query of a media request, without a leading slash: `view/12`, `export?a=1&b=2&kLines=20…`. */
export function mediaPath(request: MediaRequest): string {
  if (request.kind === 'image' || request.kind === 'image-thumb') return `${request.kind}/${request.imageId}`;
  if (request.kind !== 'export')
    return `${request.kind}/${request.annotationId}${request.version ? `?v=${encodeURIComponent(request.version)}` : ''}`;
  const query = new URLSearchParams({
    a: String(request.a),
    b: String(request.b),
    kLines: String(request.kLines),
    kColors: String(request.kColors),
  });
  if (request.layer) query.set('layer', request.layer);
  return `export?${query.toString()}`;
}

/** The inverse of mediaPath: null for anything that is not a well-formed media request. */
export function parseMediaPath(path: string, query: URLSearchParams): MediaRequest | null {
  const parts = path.replace(/^\/+/, '').split('/');
  if (
    parts.length === 2 &&
    (MEDIA_ANNOTATION_KINDS as readonly string[]).includes(parts[0]) &&
    /^[1-9]\d{0,9}$/.test(parts[1])
  ) {
    const version = query.get('v');
    return {
      kind: parts[0] as (typeof MEDIA_ANNOTATION_KINDS)[number],
      annotationId: Number(parts[1]),
      ...(version ? { version } : {}),
    };
  }
  if (parts.length === 2 && (MEDIA_IMAGE_KINDS as readonly string[]).includes(parts[0]) && /^[1-9]\d{0,9}$/.test(parts[1])) {
    return { kind: parts[0] as (typeof MEDIA_IMAGE_KINDS)[number], imageId: Number(parts[1]) };
  }
  if (parts.length === 1 && parts[0] === 'export') {
    const number = (key: string) => (query.has(key) ? Number(query.get(key)) : undefined);
    const parsed = PairSettingsArgs.safeParse({
      a: number('a'),
      b: number('b'),
      layer: query.get('layer') ?? undefined,
      kLines: number('kLines'),
      kColors: number('kColors'),
    });
    return parsed.success ? { kind: 'export', ...parsed.data } : null;
  }
  return null;
}
