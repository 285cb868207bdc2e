import type { Progress } from '../../shared/api.ts';

interface Props {
  label: string;
  progress: Progress | null;
  onCancel?: () => void;
}

/** A job's progress: a bar when the total is known, an indeterminate one before; with its cancel button. */
export function ProgressBar({ label, progress, onCancel }: Props) {
  const total = progress?.total ?? null;
  const fraction = total ? Math.min(1, (progress?.done ?? 0) / total) : null;
  return (
    <div className="progress">
      <div className="progress-label">
        <span>
          {label}
          {progress
            ? ` — ${progress.phase} ${progress.done}${total !== null ? ` / ${total}` : ''}`
            : ' — starting…'}
        </span>
        {progress?.item && <span className="progress-item">{progress.item}</span>}
      </div>
      <div
        className={fraction === null ? 'progress-track indeterminate' : 'progress-track'}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total ?? undefined}
        aria-valuenow={fraction === null ? undefined : progress?.done}
      >
        <div
          className="progress-fill"
          style={{ width: fraction === null ? undefined : `${(fraction * 100).toFixed(1)}%` }}
        />
      </div>
      {onCancel && (
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      )}
    </div>
  );
}
