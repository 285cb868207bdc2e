import type { CallErrorKind } from '../../shared/bridge.ts';

interface Props {
  error: Error | null | undefined;
  /** What failed, e.g. "Loading the queue". */
  action?: string;
  onRetry?: () => void;
}

/** The renderer's one mapping of an error's kind: what to add to its message, and whether a retry can help. */
const BY_KIND: Partial<Record<CallErrorKind, { hint?: string; retry: boolean }>> = {
  'invalid-arguments': { retry: false },
  'unsupported-model': { hint: 'choose another layer, or another model in Settings', retry: false },
  internal: { hint: 'this is a bug; the workbench log has the details', retry: true },
};

/** An API error shown where the thing that failed would have been. */
export function ErrorNotice({ error, action, onRetry }: Props) {
  if (!error) return null;
  // Errors from a call carry their kind (CallFailed, the preload's bridge error); others are the page's own.
  const kind = (error as Error & { kind?: CallErrorKind }).kind;
  const mapped = kind ? BY_KIND[kind] : undefined;
  return (
    <div className="error-notice" role="alert" data-kind={kind}>
      <span>
        {action ? `${action} failed: ` : ''}
        {error.message}
        {mapped?.hint ? ` (${mapped.hint})` : ''}
      </span>
      {onRetry && (mapped?.retry ?? true) && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
