import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Photo } from '../../shared/api.ts';
import { newCallId } from '../client/client.ts';
import { BoxEditor, type EditorBox } from '../components/BoxEditor.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { defaultShape, moveShape, scaleShape, turnShape, type BoxShape } from '../lib/box-geometry.ts';
import { fileName } from '../lib/format.ts';
import { isEditableTarget } from '../lib/keyboard.ts';
import { photoViewKey, SIDE_KEYS } from '../lib/photo-keys.ts';
import { useClient } from '../lib/use-client.ts';
import { shapeOf, usePhotoEdits } from '../lib/use-photo-edits.ts';

interface Props {
  /** The photos the reviewer steps through (the catalog grid's, as filtered when the view opened). */
  photos: Photo[];
  index: number;
  onIndex: (index: number) => void;
  reviewer: string | null;
  /** Called after every edit (the catalog and the queue are stale). */
  onChanged: () => void;
  onBack: () => void;
}

const SIDE_BUTTONS: { key: string; side: string | null; label: string }[] = Object.entries(SIDE_KEYS).map(([key, side]) => ({
  key: key.toUpperCase(),
  side,
  label: side ?? 'unknown',
}));

/**
 * One photo with a box around each animal: draw boxes with the mouse (several), move, resize and turn
 * them, set each one's side, delete; all of it from the keyboard too, and undoable with Ctrl+Z. Every
 * change is an edit in the catalog's history; a changed box is embedded again in the background.
 */
export function PhotoView({ photos, index, onIndex, reviewer, onChanged, onBack }: Props) {
  const client = useClient();
  const photo = photos[index] ?? null;
  const viewSession = useMemo(() => newCallId(), []);
  const edits = usePhotoEdits(photo?.id ?? 0, viewSession, reviewer, onChanged);
  const [selected, setSelectedState] = useState<number | null>(null);
  // Keys can come faster than renders: they read and set the selection through this.
  const selectedRef = useRef<number | null>(null);
  const setSelected = useCallback((id: number | null) => {
    selectedRef.current = id;
    setSelectedState(id);
  }, []);
  const size = photo ? { width: photo.width, height: photo.height } : { width: 1, height: 1 };

  useEffect(() => setSelected(null), [photo?.id, setSelected]);
  // A box made or brought back is selected; one that is gone is not.
  useEffect(() => {
    if (selected !== null && !edits.annotations.some((a) => a.id === selected)) setSelected(null);
  }, [edits.annotations, selected, setSelected]);

  const selectedAnnotation = edits.annotations.find((a) => a.id === selected) ?? null;

  const draw = useCallback(
    async (shape: BoxShape) => {
      // A whole-photo annotation that is selected gets the box (it keeps its name and decisions).
      const chosen = edits.latest().find((a) => a.id === selectedRef.current);
      if (chosen && !chosen.box) return edits.change(chosen.id, { shape });
      const added = await edits.add(shape);
      if (added) setSelected(added.id);
    },
    [edits, setSelected],
  );

  const go = useCallback(
    async (delta: number) => {
      await edits.flush();
      const next = Math.min(photos.length - 1, Math.max(0, index + delta));
      if (next !== index) onIndex(next);
    },
    [edits, photos.length, index, onIndex],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const action = photoViewKey({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        shiftKey: event.shiftKey,
        repeat: event.repeat,
        editable: isEditableTarget(event.target),
      });
      if (!action) return;
      event.preventDefault();
      const boxed = edits.latest();
      const current = boxed.find((a) => a.id === selectedRef.current) ?? null;
      const shape = current ? shapeOf(current) : null;
      const scale = Math.max(size.width, size.height);
      switch (action.type) {
        case 'escape':
          if (selectedRef.current !== null) setSelected(null);
          else void edits.flush().then(onBack);
          return;
        case 'photo':
          return void go(action.delta);
        case 'undo':
          return void edits.undo().then((id) => id !== null && setSelected(id));
        case 'new-box':
          return void draw(defaultShape(size));
        case 'select': {
          if (boxed.length === 0) return;
          const at = boxed.findIndex((a) => a.id === selectedRef.current);
          const next = at < 0 ? (action.delta > 0 ? 0 : boxed.length - 1) : (at + action.delta + boxed.length) % boxed.length;
          return setSelected(boxed[next].id);
        }
        case 'side':
          if (current) void edits.change(current.id, { side: action.side });
          return;
        case 'delete':
          if (current) void edits.remove(current.id);
          return;
        case 'move':
          if (current && shape) edits.nudge(current.id, moveShape(shape, action.dx * scale, action.dy * scale, size));
          return;
        case 'scale':
          if (current && shape) edits.nudge(current.id, scaleShape(shape, action.factor, size));
          return;
        case 'turn':
          if (current && shape) edits.nudge(current.id, turnShape(shape, (action.degrees * Math.PI) / 180));
          return;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [edits, size.width, size.height, draw, go, onBack, setSelected]);

  if (!photo) return <p className="muted">No photo to show.</p>;

  const boxes: EditorBox[] = edits.annotations.map((annotation) => ({
    id: annotation.id,
    shape: shapeOf(annotation),
    label: `#${annotation.id}${annotation.side ? ` ${annotation.side}` : ''}${annotation.name ? ` · ${annotation.name}` : ''}`,
  }));

  return (
    <section className="photo-view" data-image-id={photo.id}>
      <div className="photo-toolbar">
        <button type="button" onClick={() => void edits.flush().then(onBack)}>
          ← Catalog (Esc)
        </button>
        <button type="button" disabled={index === 0} onClick={() => void go(-1)}>
          Previous (K)
        </button>
        <span className="pair-position">
          photo {index + 1} of {photos.length}
        </span>
        <button type="button" disabled={index >= photos.length - 1} onClick={() => void go(1)}>
          Next (J)
        </button>
        <strong title={photo.path}>{fileName(photo.path)}</strong>
        <span className="muted">
          {photo.width}×{photo.height} · {edits.annotations.length === 0 ? 'no animal marked' : `${edits.annotations.length} animal${edits.annotations.length === 1 ? '' : 's'}`}
        </span>
        <span className="spacer" />
        <button type="button" onClick={() => void draw(defaultShape(size))}>
          New box (N)
        </button>
        <button type="button" onClick={() => void edits.undo()}>
          Undo (Ctrl+Z)
        </button>
      </div>
      <ErrorNotice error={edits.error} action="The last box edit" />
      <div className="photo-body">
        <BoxEditor
          imageUrl={client.mediaUrl({ kind: 'image', imageId: photo.id })}
          photo={size}
          boxes={boxes}
          selected={selected}
          onSelect={setSelected}
          onDraw={(shape) => void draw(shape)}
          onChange={(id, shape) => void edits.change(id, { shape })}
        />
        <aside className="photo-side">
          <h2>Animals on this photo</h2>
          {edits.loading ? (
            <p className="muted">Loading…</p>
          ) : edits.annotations.length === 0 ? (
            <p className="muted">None marked. Drag on the photo to draw a box, or press N.</p>
          ) : (
            <ul className="photo-annotations" aria-label="Annotations on this photo">
              {edits.annotations.map((annotation) => (
                <li key={annotation.id}>
                  <button
                    type="button"
                    className={annotation.id === selected ? 'photo-annotation selected' : 'photo-annotation'}
                    aria-pressed={annotation.id === selected}
                    onClick={() => setSelected(annotation.id)}
                  >
                    <span>#{annotation.id}</span>
                    <span>{annotation.name ?? <em>unnamed</em>}</span>
                    <span className="muted">{annotation.side ?? 'side ?'}</span>
                    <span className="muted">
                      {annotation.box
                        ? `${Math.round(annotation.box.w)}×${Math.round(annotation.box.h)}${annotation.theta ? ` · ${Math.round((annotation.theta * 180) / Math.PI)}°` : ''}`
                        : 'whole photo'}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          {selectedAnnotation && (
            <div className="photo-selected" role="group" aria-label="Selected box">
              <div className="side-buttons">
                {SIDE_BUTTONS.map(({ key, side, label }) => (
                  <button
                    key={key}
                    type="button"
                    aria-pressed={selectedAnnotation.side === side}
                    onClick={() => void edits.change(selectedAnnotation.id, { side })}
                  >
                    {label} ({key})
                  </button>
                ))}
              </div>
              <button type="button" className="danger" onClick={() => void edits.remove(selectedAnnotation.id)}>
                Delete #{selectedAnnotation.id} (Del)
              </button>
            </div>
          )}
          {edits.notice && (
            <p className="notice" role="status">
              {edits.notice}
            </p>
          )}
          <dl className="key-help">
            <dt>drag</dt>
            <dd>draw a box; drag a box to move it, its handles to resize, the knob to turn</dd>
            <dt>N</dt>
            <dd>new box (gives a selected whole-photo annotation its box)</dd>
            <dt>Tab</dt>
            <dd>next box</dd>
            <dt>arrows</dt>
            <dd>move (Shift: 5×)</dd>
            <dt>+ / −</dt>
            <dd>grow / shrink</dd>
            <dt>Q / E</dt>
            <dd>turn 5° (Shift: 1°)</dd>
            <dt>L R F B U</dt>
            <dd>side: left, right, front, back, unknown</dd>
            <dt>Del</dt>
            <dd>delete the box</dd>
            <dt>J / K</dt>
            <dd>next / previous photo</dd>
            <dt>Ctrl+Z</dt>
            <dd>undo (this photo, this visit)</dd>
          </dl>
        </aside>
      </div>
    </section>
  );
}
