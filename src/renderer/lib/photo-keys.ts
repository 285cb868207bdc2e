import type { KeyPress } from './keyboard.ts';

/**
 * What a key means in the photo view (drawing boxes): a pure table like keyboard.ts's, so that boxes
 * can be placed, moved, turned, given a side and deleted from the keyboard alone.
 */
export type PhotoAction =
  | { type: 'photo'; delta: number }
  | { type: 'new-box' }
  | { type: 'select'; delta: number }
  /** Moves the selected box by this share of the photo's longer side. */
  | { type: 'move'; dx: number; dy: number }
  | { type: 'scale'; factor: number }
  | { type: 'turn'; degrees: number }
  | { type: 'side'; side: string | null }
  | { type: 'delete' }
  | { type: 'undo' }
  | { type: 'escape' };

/** Keys that set the selected box's side or viewpoint; U: unknown. */
export const SIDE_KEYS: Record<string, string | null> = { l: 'left', r: 'right', f: 'front', b: 'back', u: null };

const STEP = 0.01;
const BIG_STEP = 0.05;

export function photoViewKey(press: KeyPress): PhotoAction | null {
  if (press.key === 'Escape') return { type: 'escape' };
  if (press.editable) return null;
  const command = press.ctrlKey || press.metaKey;
  if (command && !press.altKey && !press.shiftKey && press.key.toLowerCase() === 'z') return { type: 'undo' };
  if (command || press.altKey) return null;
  const step = press.shiftKey ? BIG_STEP : STEP;
  switch (press.key) {
    case 'ArrowLeft':
      return { type: 'move', dx: -step, dy: 0 };
    case 'ArrowRight':
      return { type: 'move', dx: step, dy: 0 };
    case 'ArrowUp':
      return { type: 'move', dx: 0, dy: -step };
    case 'ArrowDown':
      return { type: 'move', dx: 0, dy: step };
    case 'PageDown':
    case ']':
      return { type: 'photo', delta: 1 };
    case 'PageUp':
    case '[':
      return { type: 'photo', delta: -1 };
    case 'Tab':
      return { type: 'select', delta: press.shiftKey ? -1 : 1 };
    case 'Delete':
    case 'Backspace':
      return press.repeat ? null : { type: 'delete' };
    case '+':
    case '=':
      return { type: 'scale', factor: 1.05 };
    case '-':
    case '_':
      return { type: 'scale', factor: 1 / 1.05 };
    default:
      break;
  }
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  if (key === 'j') return { type: 'photo', delta: 1 };
  if (key === 'k') return { type: 'photo', delta: -1 };
  if (key === 'n') return press.repeat ? null : { type: 'new-box' };
  if (key === 'q') return { type: 'turn', degrees: press.shiftKey ? -1 : -5 };
  if (key === 'e') return { type: 'turn', degrees: press.shiftKey ? 1 : 5 };
  if (key in SIDE_KEYS) return { type: 'side', side: SIDE_KEYS[key] };
  return null;
}
