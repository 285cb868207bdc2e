import type { Overlay } from '../lib/keyboard.ts';

const OVERLAYS: [Overlay, string][] = [
  ['heat', 'Heat maps (R)'],
  ['lines', 'Match lines (L)'],
  ['pixels', 'Pixel maps (P)'],
];

interface Props {
  overlays: Record<Overlay, boolean>;
  onToggle: (overlay: Overlay) => void;
  clean: boolean;
  onToggleClean: () => void;
  /** What is still being computed, e.g. "computing pixel maps…"; empty when nothing is. */
  progress: string;
}

/** Which parts of the explanation are drawn over the photos, and the clean photos. */
export function OverlayToggles({ overlays, onToggle, clean, onToggleClean, progress }: Props) {
  return (
    <div className="overlay-toggles" role="group" aria-label="Overlays">
      {OVERLAYS.map(([overlay, label]) => (
        <label key={overlay} className="check">
          <input type="checkbox" checked={overlays[overlay]} onChange={() => onToggle(overlay)} /> {label}
        </label>
      ))}
      <label className="check">
        <input type="checkbox" checked={clean} onChange={onToggleClean} /> Clean photos (H)
      </label>
      <span className="muted">{progress}</span>
      <span className="muted">wheel zooms, drag pans, double-click resets (0)</span>
    </div>
  );
}
