interface Props {
  error: Error | null | undefined;
  /** What failed, e.g. "Loading the queue". */
  action?: string;
  onRetry?: () => void;
}

/** An API error shown where the thing that failed would have been. */
export function ErrorNotice({ error, action, onRetry }: Props) {
  if (!error) return null;
  return (
    <div className="error-notice" role="alert">
      <span>
        {action ? `${action} failed: ` : ''}
        {error.message}
      </span>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
