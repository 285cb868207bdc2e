import type { Verdict } from '../../shared/api.ts';

/**
 * What a key press means in each view: a pure table, so that the whole review loop is usable from the
 * keyboard alone and testable without a DOM. Keys typed into a text field are the field's, except
 * Escape, which leaves it.
 */
export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
  repeat?: boolean;
  /** The event's target is a text field (input, textarea, select, contenteditable). */
  editable?: boolean;
}

export type QueueAction =
  | { type: 'move'; delta: number }
  | { type: 'first' }
  | { type: 'last' }
  | { type: 'open' }
  | { type: 'undo' };

export type PairAction =
  | { type: 'decide'; verdict: Verdict }
  | { type: 'skip' }
  | { type: 'undo' }
  | { type: 'pair'; delta: number }
  | { type: 'match'; delta: number }
  | { type: 'clean-down' }
  | { type: 'toggle'; overlay: Overlay }
  /** The whole photos with the boxes, instead of the model-sized crops. */
  | { type: 'whole-photos' }
  | { type: 'reset-zoom' }
  | { type: 'export' }
  | { type: 'focus-note' }
  | { type: 'escape' };

export type MergeAction = { type: 'keep'; choice: 'keep-a' | 'keep-b' } | { type: 'cancel' };

export type Overlay = 'heat' | 'lines' | 'pixels';

const isUndo = (press: KeyPress) =>
  (press.ctrlKey || press.metaKey) && !press.altKey && press.key.toLowerCase() === 'z' && !press.shiftKey;
const plain = (press: KeyPress) => !press.ctrlKey && !press.metaKey && !press.altKey;

export function queueKey(press: KeyPress): QueueAction | null {
  if (press.editable) return null;
  if (isUndo(press)) return { type: 'undo' };
  if (!plain(press)) return null;
  switch (press.key) {
    case 'ArrowDown':
    case 'j':
    case 'J':
      return { type: 'move', delta: 1 };
    case 'ArrowUp':
    case 'k':
    case 'K':
      return { type: 'move', delta: -1 };
    case 'PageDown':
      return { type: 'move', delta: 10 };
    case 'PageUp':
      return { type: 'move', delta: -10 };
    case 'Home':
      return { type: 'first' };
    case 'End':
      return { type: 'last' };
    case 'Enter':
      return { type: 'open' };
    default:
      return null;
  }
}

const DECISION_KEYS: Record<string, PairAction> = {
  s: { type: 'decide', verdict: 'same' },
  d: { type: 'decide', verdict: 'different' },
  u: { type: 'decide', verdict: 'unsure' },
  n: { type: 'skip' },
};

export function pairViewKey(press: KeyPress): PairAction | null {
  if (press.key === 'Escape') return { type: 'escape' };
  if (press.editable) return null;
  if (isUndo(press)) return { type: 'undo' };
  if (!plain(press)) return null;
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  // A held-down decision key must not decide the pairs after this one too.
  if (press.repeat && key in DECISION_KEYS) return null;
  if (key in DECISION_KEYS) return DECISION_KEYS[key];
  switch (key) {
    case 'ArrowRight':
    case 'j':
      return { type: 'pair', delta: 1 };
    case 'ArrowLeft':
    case 'k':
      return { type: 'pair', delta: -1 };
    case 'ArrowDown':
      return { type: 'match', delta: 1 };
    case 'ArrowUp':
      return { type: 'match', delta: -1 };
    case 'h':
      return press.repeat ? null : { type: 'clean-down' };
    case 'r':
      return { type: 'toggle', overlay: 'heat' };
    case 'l':
      return { type: 'toggle', overlay: 'lines' };
    case 'p':
      return { type: 'toggle', overlay: 'pixels' };
    case 'w':
      return { type: 'whole-photos' };
    case '0':
      return { type: 'reset-zoom' };
    case 'e':
      return { type: 'export' };
    case '/':
      return { type: 'focus-note' };
    default:
      return null;
  }
}

export function mergeKey(press: KeyPress): MergeAction | null {
  if (press.key === 'Escape') return { type: 'cancel' };
  if (!plain(press) || press.editable) return null;
  if (press.key === 'a' || press.key === 'A' || press.key === '1') return { type: 'keep', choice: 'keep-a' };
  if (press.key === 'b' || press.key === 'B' || press.key === '2') return { type: 'keep', choice: 'keep-b' };
  return null;
}

/**
 * Key H shows the clean photos: a tap toggles them, holding shows them only while held (a press longer
 * than HOLD_MS is a hold, and releasing it brings the overlays back).
 */
export const HOLD_MS = 300;

export interface CleanState {
  clean: boolean;
  /** When the key that turned clean on went down; null when it was a toggle off or no key is down. */
  pressedAt: number | null;
}

export const CLEAN_OFF: CleanState = { clean: false, pressedAt: null };

export function cleanKeyDown(state: CleanState, now: number): CleanState {
  return state.clean ? { clean: false, pressedAt: null } : { clean: true, pressedAt: now };
}

export function cleanKeyUp(state: CleanState, now: number): CleanState {
  if (state.pressedAt === null) return state;
  return now - state.pressedAt >= HOLD_MS
    ? { clean: false, pressedAt: null }
    : { clean: true, pressedAt: null };
}

/** Whether a DOM event's target takes text (the renderer passes this into KeyPress.editable). */
export function isEditableTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const element = target as HTMLElement;
  const tag = element.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (element as HTMLInputElement).type;
    return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range'].includes(type);
  }
  return element.isContentEditable === true;
}
