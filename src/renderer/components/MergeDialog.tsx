import { useEffect, useRef } from 'react';
import type { MergeChoice } from '../../shared/api.ts';
import { mergeKey } from '../lib/keyboard.ts';

interface Props {
  nameA: string;
  nameB: string;
  onChoose: (choice: MergeChoice) => void;
  onCancel: () => void;
}

/** "Same individual" for two annotations with different names: which name does the individual keep? */
export function MergeDialog({ nameA, nameB, onChoose, onCancel }: Props) {
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    first.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      const action = mergeKey({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
      });
      if (!action) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (action.type === 'cancel') onCancel();
      else onChoose(action.choice);
    };
    // Capture phase: while the dialog is open, its keys go nowhere else (S, D… must not decide again).
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onChoose, onCancel]);

  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="merge-title">
        <h2 id="merge-title">Which name does the individual keep?</h2>
        <p>
          The two annotations carry different names, <strong>{nameA}</strong> and <strong>{nameB}</strong>.
          Marking them as the same individual merges the two under one name.
        </p>
        <div className="modal-buttons">
          <button ref={first} type="button" className="primary" onClick={() => onChoose('keep-a')}>
            Keep “{nameA}” (A)
          </button>
          <button type="button" className="primary" onClick={() => onChoose('keep-b')}>
            Keep “{nameB}” (B)
          </button>
          <button type="button" onClick={onCancel}>
            Cancel (Esc)
          </button>
        </div>
      </div>
    </div>
  );
}
