import type { FrontMode, PairSettingsArgs } from '../../shared/app-api.ts';
import type { CallErrorKind, MediaRequest, PairxBridge } from '../../shared/bridge.ts';

/**
 * What the views use: the bridge (Electron's `window.pairx` or the HTTP client, one interface) plus the
 * two things that differ by front — where pictures come from, and how an exported picture is saved.
 */
export interface WorkbenchClient extends PairxBridge {
  readonly mode: FrontMode;
  /** A URL an <img> (or a download link) can load. */
  mediaUrl(request: MediaRequest): string;
  /** Saves the explanation picture: a native save dialog (Electron) or a download (browser). */
  exportPicture(
    args: Required<Pick<PairSettingsArgs, 'a' | 'b'>> & { layer?: string; kLines: number; kColors: number },
  ): Promise<string | null>;
}

/** A failed call, with the workbench's message and its kind (src/shared/bridge.ts's CallErrorKind). */
export class CallFailed extends Error {
  constructor(
    readonly kind: CallErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CallFailed';
  }
}

export const newCallId = (): string =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `call-${Date.now()}-${Math.random().toString(36).slice(2)}`;
