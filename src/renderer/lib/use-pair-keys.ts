import { useEffect, useRef } from 'react';
import type { Verdict } from '../../shared/api.ts';
import { isEditableTarget, pairViewKey, type Overlay } from './keyboard.ts';

/** What the pair view does for each action of `pairViewKey`. */
export interface PairKeyHandlers {
  decide: (verdict: Verdict) => void;
  skip: () => void;
  undo: () => void;
  movePair: (delta: number) => void;
  moveMatch: (delta: number) => void;
  /** H went down (`cleanKeyDown`) or up (`cleanKeyUp`). */
  cleanDown: () => void;
  cleanUp: () => void;
  toggle: (overlay: Overlay) => void;
  /** W: the whole photos with their boxes, or the crops again. */
  wholePhotos: () => void;
  resetZoom: () => void;
  exportPicture: () => void;
  focusNote: () => void;
  /** Escape outside a text field (inside one, it leaves the field). */
  escape: () => void;
}

/**
 * The pair view's keys on the window, while `enabled` (a dialog open over the view has its own). The
 * handlers of the latest render answer, so that the listeners are added once, not on every change.
 */
export function usePairKeys(enabled: boolean, handlers: PairKeyHandlers): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (event: KeyboardEvent) => {
      const editable = isEditableTarget(event.target);
      const action = pairViewKey({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        shiftKey: event.shiftKey,
        repeat: event.repeat,
        editable,
      });
      if (!action) return;
      event.preventDefault();
      const on = latest.current;
      switch (action.type) {
        case 'decide':
          return on.decide(action.verdict);
        case 'skip':
          return on.skip();
        case 'undo':
          return on.undo();
        case 'pair':
          return on.movePair(action.delta);
        case 'match':
          return on.moveMatch(action.delta);
        case 'clean-down':
          return on.cleanDown();
        case 'toggle':
          return on.toggle(action.overlay);
        case 'whole-photos':
          return on.wholePhotos();
        case 'reset-zoom':
          return on.resetZoom();
        case 'export':
          return on.exportPicture();
        case 'focus-note':
          return on.focusNote();
        case 'escape':
          if (editable) (event.target as HTMLElement).blur();
          else on.escape();
      }
    };
    const onKeyUp = (event: KeyboardEvent) => {
      if (event.key === 'h' || event.key === 'H') latest.current.cleanUp();
    };
    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('keyup', onKeyUp);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keyup', onKeyUp);
    };
  }, [enabled]);
}
