import type { RefObject } from 'react';
import type { Verdict } from '../../shared/api.ts';

/** The verdict buttons, with the keys that also record them. */
const DECISION_BUTTONS = [
  { verdict: 'same', label: 'Same individual', key: 'S' },
  { verdict: 'different', label: 'Different individuals', key: 'D' },
  { verdict: 'unsure', label: 'Unsure', key: 'U' },
] as const;

interface Props {
  busy: boolean;
  onDecide: (verdict: Verdict) => void;
  onSkip: () => void;
  onUndo: () => void;
  note: string;
  onNote: (note: string) => void;
  /** The note field, which "/" focuses. */
  noteField: RefObject<HTMLInputElement | null>;
}

/** Same, different, unsure, skip, a note and undo: the decision on the pair in view. */
export function DecisionBar({ busy, onDecide, onSkip, onUndo, note, onNote, noteField }: Props) {
  return (
    <div className="decision-bar" role="group" aria-label="Decision">
      {DECISION_BUTTONS.map(({ verdict, label, key }) => (
        <button
          key={verdict}
          type="button"
          className={`decide ${verdict}`}
          onClick={() => onDecide(verdict)}
          disabled={busy}
          aria-keyshortcuts={key}
        >
          {label}
        </button>
      ))}
      <button type="button" onClick={onSkip} disabled={busy} aria-keyshortcuts="N">
        Skip
      </button>
      <input
        ref={noteField}
        type="text"
        className="note"
        value={note}
        onChange={(event) => onNote(event.target.value)}
        placeholder="Note (optional, / to type)"
        aria-label="Note"
      />
      <button type="button" onClick={onUndo} disabled={busy} aria-keyshortcuts="Control+Z">
        Undo
      </button>
      <span className="keys muted">S · D · U · N · Ctrl+Z</span>
    </div>
  );
}
