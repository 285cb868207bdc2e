import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Annotation, MergeChoice, Verdict } from '../../shared/api.ts';
import type { PairMatchesPayload } from '../../shared/explanation.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { MatchList } from '../components/MatchList.tsx';
import { MergeDialog } from '../components/MergeDialog.tsx';
import { PairCanvas } from '../components/PairCanvas.tsx';
import type { ExplainChoice } from '../lib/explain-settings.ts';
import { fileName, formatCaptured, formatNumber, placeOf } from '../lib/format.ts';
import { isSpatialLayer } from '../lib/layers.ts';
import { useLayers } from '../lib/use-layers.ts';
import {
  CLEAN_OFF,
  cleanKeyDown,
  cleanKeyUp,
  isEditableTarget,
  pairViewKey,
  type Overlay,
} from '../lib/keyboard.ts';
import { moveIndex, nextOpen, pairKey, type PairStatus } from '../lib/queue.ts';
import { MARK_DRAWN, useExplanation, type ExplanationRequest } from '../lib/use-explanation.ts';
import { preloadImage, useImage } from '../lib/use-image.ts';
import { windowCache } from '../lib/window-cache.ts';
import { useClient } from '../lib/use-client.ts';
import type { Review } from '../lib/use-review.ts';
import { IDENTITY, type ViewTransform } from '../lib/view-transform.ts';

/** The verdict buttons of the decision bar, with the keys that also record them. */
const DECISION_BUTTONS = [
  { verdict: 'same', label: 'Same individual', key: 'S' },
  { verdict: 'different', label: 'Different individuals', key: 'D' },
  { verdict: 'unsure', label: 'Unsure', key: 'U' },
] as const;

interface Props {
  review: Review;
  choice: ExplainChoice;
  onChoice: (change: Partial<ExplainChoice>) => void;
  reviewer: string | null;
  onBack: () => void;
}

const VERDICT_LABEL: Record<Verdict, string> = {
  same: 'Same individual',
  different: 'Different individuals',
  unsure: 'Unsure',
};

function AnnotationFacts({
  annotation,
  id,
  label,
}: {
  annotation: Annotation | undefined;
  id: number;
  label: string;
}) {
  return (
    <div className="annotation-facts" aria-label={`Annotation ${label}`}>
      <div className="facts-name">
        <span className="facts-label">{label}</span> {annotation?.name ?? <em>unnamed</em>}
      </div>
      <dl className="facts">
        <dt>File</dt>
        <dd title={annotation?.image}>{annotation ? fileName(annotation.image) : `annotation #${id}`}</dd>
        <dt>Side</dt>
        <dd>{annotation?.side ?? 'unknown'}</dd>
        <dt>Captured</dt>
        <dd>{formatCaptured(annotation?.capturedAt ?? null)}</dd>
        <dt>Place</dt>
        <dd>{(annotation && placeOf(annotation)) ?? 'not recorded'}</dd>
      </dl>
    </div>
  );
}

/**
 * One candidate pair with its PAIR-X explanation, and the decision on it. Everything is on the
 * keyboard: S, D, U decide, N skips, Ctrl+Z undoes, J/K or ←/→ move between pairs, ↑/↓ walk the
 * matches, H shows the clean photos (tap toggles, hold shows while held), R/L/P switch the overlays.
 */
export function PairView({ review, choice, onChoice, reviewer, onBack }: Props) {
  const client = useClient();
  const { queue, index, annotations, statuses, setIndex, setStatus } = review;
  const pair = queue?.[index] ?? null;
  const layers = useLayers(review.model);
  const spatialLayers = useMemo(() => layers.data?.layers.filter(isSpatialLayer) ?? [], [layers.data]);
  // A layer chosen for another model falls back to this model's default.
  const layer =
    choice.layer && (!layers.data || layers.data.layers.some((l) => l.key === choice.layer))
      ? choice.layer
      : undefined;

  const [retry, setRetry] = useState(0);
  // Explanations wait for the layer list, so that a default-layer request is keyed by the layer it gets.
  const model = review.model ?? '';
  const explainLayer = layer ?? layers.data?.default;
  const ready = Boolean(layers.data || layers.error);
  const request: ExplanationRequest | null =
    pair && ready
      ? { model, a: pair.a, b: pair.b, layer: explainLayer, kLines: choice.kLines, kColors: choice.kColors }
      : null;
  const upcoming =
    queue && pair ? nextOpen(queue, new Map(statuses).set(pairKey(pair), 'skipped'), index) : null;
  const upcomingPair = queue && upcoming !== null ? queue[upcoming] : null;
  const prefetch: ExplanationRequest | null =
    upcomingPair && ready
      ? {
          model,
          a: upcomingPair.a,
          b: upcomingPair.b,
          layer: explainLayer,
          kLines: choice.kLines,
          kColors: choice.kColors,
        }
      : null;
  const explanation = useExplanation(request, prefetch, retry);
  const { matches, pixels } = explanation;

  const viewUrl = (annotationId: number) => client.mediaUrl({ kind: 'view', annotationId });
  const photoA = useImage(pair ? viewUrl(pair.a) : null, model, 'A');
  const photoB = useImage(pair ? viewUrl(pair.b) : null, model, 'B');
  // The next pair's photos load once this pair's explanation is in, so that moving on draws at once.
  const upcomingIds = matches && upcomingPair ? [upcomingPair.a, upcomingPair.b] : [];
  useEffect(() => {
    const cache = windowCache(client);
    for (const id of upcomingIds) preloadImage(cache, viewUrl(id), model);
  }, [client, model, upcomingIds.join(',')]);

  const [overlays, setOverlays] = useState<Record<Overlay, boolean>>({
    heat: true,
    lines: true,
    pixels: true,
  });
  const [clean, setClean] = useState(CLEAN_OFF);
  const [selected, setSelected] = useState<number | null>(null);
  const [hovered, setHovered] = useState<number | null>(null);
  const [transform, setTransform] = useState<ViewTransform>(IDENTITY);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<{ verdict: Verdict; nameA: string; nameB: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<Error | null>(null);
  const noteField = useRef<HTMLInputElement>(null);

  // A new pair starts unzoomed, with no match selected.
  const currentKey = pair ? pairKey(pair) : '';
  useEffect(() => {
    setSelected(null);
    setHovered(null);
    setTransform(IDENTITY);
    setNote('');
    setActionError(null);
  }, [currentKey]);

  const markedFor = useRef<string>('');
  const onExplanationDrawn = useCallback(
    (drawn: PairMatchesPayload) => {
      if (markedFor.current === explanation.key || drawn !== matches) return;
      markedFor.current = explanation.key;
      performance.mark(MARK_DRAWN, { detail: explanation.key });
    },
    [explanation.key, matches],
  );

  const goTo = useCallback(
    (next: number | null) => {
      if (next === null)
        setNotice('Every pair in this queue has a status. Reload the queue for more candidates.');
      else setIndex(next);
    },
    [setIndex],
  );

  const decide = useCallback(
    async (verdict: Verdict, confirmMerge?: MergeChoice) => {
      if (!pair || !queue || busy) return;
      setBusy(true);
      setActionError(null);
      try {
        const result = await client.call('decisions.decide', {
          a: pair.a,
          b: pair.b,
          verdict,
          note: note.trim() || undefined,
          reviewer: reviewer ?? undefined,
          confirmMerge,
        });
        if ('conflict' in result) {
          setConflict({ verdict, ...result.conflict });
          return;
        }
        setConflict(null);
        setStatus(pair, verdict);
        const after = new Map(statuses).set(pairKey(pair), verdict);
        setNotice(
          `Saved: ${VERDICT_LABEL[verdict]} for #${pair.a} – #${pair.b}${result.individual ? ` (now “${result.individual.name}”)` : ''}${result.warning ? ` — ${result.warning}` : ''}`,
        );
        goTo(nextOpen(queue, after, index));
      } catch (error) {
        setActionError(error as Error);
      } finally {
        setBusy(false);
      }
    },
    [client, pair, queue, busy, note, reviewer, statuses, index, setStatus, goTo],
  );

  const skip = useCallback(() => {
    if (!pair || !queue) return;
    setStatus(pair, 'skipped');
    const after = new Map(statuses).set(pairKey(pair), 'skipped' as PairStatus);
    setNotice(`Skipped #${pair.a} – #${pair.b}`);
    goTo(nextOpen(queue, after, index));
  }, [pair, queue, statuses, index, setStatus, goTo]);

  const undo = useCallback(async () => {
    if (busy) return;
    setBusy(true);
    setActionError(null);
    try {
      const { undone } = await client.call('decisions.undo', { reviewer: reviewer ?? undefined });
      setStatus(undone, 'open');
      const at = queue?.findIndex((candidate) => pairKey(candidate) === pairKey(undone)) ?? -1;
      if (at >= 0) setIndex(at);
      setNotice(`Undone: ${undone.verdict} for #${undone.a} – #${undone.b}`);
    } catch (error) {
      setActionError(error as Error);
    } finally {
      setBusy(false);
    }
  }, [client, busy, reviewer, queue, setIndex, setStatus]);

  const exportPicture = useCallback(async () => {
    if (!pair) return;
    setActionError(null);
    setNotice('Exporting the picture…');
    try {
      const saved = await client.exportPicture({
        a: pair.a,
        b: pair.b,
        layer,
        kLines: choice.kLines,
        kColors: choice.kColors,
      });
      setNotice(saved ? `Exported ${saved}` : 'Export cancelled');
    } catch (error) {
      setNotice(null);
      setActionError(error as Error);
    }
  }, [client, pair, layer, choice.kLines, choice.kColors]);

  const shownMatches = matches ? Math.min(matches.kLines, matches.matches.length) : 0;

  useEffect(() => {
    if (conflict) return;
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
      switch (action.type) {
        case 'decide':
          void decide(action.verdict);
          break;
        case 'skip':
          skip();
          break;
        case 'undo':
          void undo();
          break;
        case 'pair':
          if (queue) setIndex(moveIndex(index, action.delta, queue.length));
          break;
        case 'match':
          if (shownMatches > 0)
            setSelected((s) =>
              s === null
                ? action.delta > 0
                  ? 0
                  : shownMatches - 1
                : Math.min(shownMatches - 1, Math.max(0, s + action.delta)),
            );
          break;
        case 'clean-down':
          setClean((state) => cleanKeyDown(state, performance.now()));
          break;
        case 'toggle':
          setOverlays((o) => ({ ...o, [action.overlay]: !o[action.overlay] }));
          break;
        case 'reset-zoom':
          setTransform(IDENTITY);
          break;
        case 'export':
          void exportPicture();
          break;
        case 'focus-note':
          noteField.current?.focus();
          break;
        case 'escape':
          if (editable) (event.target as HTMLElement).blur();
          else if (selected !== null) setSelected(null);
          else onBack();
          break;
      }
    };
    const onKeyUp = (event: KeyboardEvent) => {
      if (event.key === 'h' || event.key === 'H') setClean((state) => cleanKeyUp(state, performance.now()));
    };
    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('keyup', onKeyUp);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keyup', onKeyUp);
    };
  }, [conflict, decide, skip, undo, exportPicture, queue, index, setIndex, shownMatches, selected, onBack]);

  if (!queue)
    return <p className="muted">{review.loading ? 'Loading the queue…' : 'The queue is not loaded.'}</p>;
  if (!pair) return <p className="muted">The queue is empty.</p>;

  const a = annotations.get(pair.a);
  const b = annotations.get(pair.b);
  const status = statuses.get(pairKey(pair)) ?? 'open';
  const focus = hovered ?? selected;
  const loadedPhoto = photoA.image ?? photoB.image;
  const size =
    matches?.input ??
    (loadedPhoto
      ? { width: loadedPhoto.naturalWidth, height: loadedPhoto.naturalHeight }
      : { width: 1, height: 1 });
  // The explanation's error names a missing photo already; the photos' own errors are shown when it does not.
  const photoErrors = [photoA.error, photoB.error].filter(
    (error): error is Error => error !== null && !explanation.matchesError,
  );

  return (
    <section className="pair-view" data-a={pair.a} data-b={pair.b}>
      <div className="pair-toolbar">
        <button type="button" onClick={onBack} title="Back to the queue (Esc)">
          ← Queue
        </button>
        <button
          type="button"
          onClick={() => setIndex(index - 1)}
          disabled={index === 0}
          aria-label="Previous pair (K)"
        >
          ‹
        </button>
        <span className="pair-position" aria-live="polite">
          Pair {index + 1} of {queue.length}
        </span>
        <button
          type="button"
          onClick={() => setIndex(index + 1)}
          disabled={index >= queue.length - 1}
          aria-label="Next pair (J)"
        >
          ›
        </button>
        <span className={`status status-${status}`}>{status}</span>
        <span className="pair-stat" title="cosine similarity of the embeddings">
          similarity <strong>{formatNumber(matches?.similarity ?? pair.similarity)}</strong>
        </span>
        <span
          className="pair-stat"
          title="RANSAC homography inlier ratio of the top matches (PAIR-X plausibility)"
        >
          plausibility{' '}
          <strong>{formatNumber(matches?.plausibility?.inlierRatio ?? pair.plausibility, 2)}</strong>
        </span>
        {matches && <span className="pair-stat muted">{matches.provider}</span>}
        <span className="spacer" />
        <label>
          Layer
          <select
            value={layer ?? ''}
            onChange={(event) => onChoice({ layer: event.target.value })}
            aria-label="Layer"
            disabled={!layers.data}
          >
            <option value="">default{layers.data ? ` (${layers.data.default})` : ''}</option>
            {spatialLayers.map((l) => (
              <option key={l.key} value={l.key}>
                {'  '.repeat(Math.max(0, l.depth - 1))}
                {l.key} [{l.shape.slice(1).join('×')}]
              </option>
            ))}
          </select>
        </label>
        <label>
          Lines
          <input
            type="number"
            min={0}
            max={200}
            value={choice.kLines}
            aria-label="Matches drawn as lines"
            onChange={(event) => {
              const value = Number(event.target.value);
              if (Number.isInteger(value) && value >= 0 && value <= 200) onChoice({ kLines: value });
            }}
          />
        </label>
        <label>
          Pixel maps
          <input
            type="number"
            min={0}
            max={50}
            value={choice.kColors}
            aria-label="Matches with pixel maps"
            onChange={(event) => {
              const value = Number(event.target.value);
              if (Number.isInteger(value) && value >= 0 && value <= 50) onChoice({ kColors: value });
            }}
          />
        </label>
        <button
          type="button"
          onClick={() => void exportPicture()}
          title="The picture in the reference layout (E)"
        >
          Export PNG
        </button>
      </div>

      <div className="overlay-toggles" role="group" aria-label="Overlays">
        {(
          [
            ['heat', 'Heat maps (R)'],
            ['lines', 'Match lines (L)'],
            ['pixels', 'Pixel maps (P)'],
          ] as const
        ).map(([overlay, label]) => (
          <label key={overlay} className="check">
            <input
              type="checkbox"
              checked={overlays[overlay]}
              onChange={() => setOverlays((o) => ({ ...o, [overlay]: !o[overlay] }))}
            />{' '}
            {label}
          </label>
        ))}
        <label className="check">
          <input
            type="checkbox"
            checked={clean.clean}
            onChange={() => setClean((state) => ({ clean: !state.clean, pressedAt: null }))}
          />{' '}
          Clean photos (H)
        </label>
        <span className="muted">
          {explanation.matchesError
            ? ''
            : !matches
              ? 'computing matches…'
              : !pixels && !explanation.pixelsError
                ? 'computing pixel maps…'
                : ''}
        </span>
        <span className="muted">wheel zooms, drag pans, double-click resets (0)</span>
      </div>

      <div className="pair-body">
        <div className="pair-stage">
          <div className="pair-facts">
            <AnnotationFacts annotation={a} id={pair.a} label="A" />
            <AnnotationFacts annotation={b} id={pair.b} label="B" />
          </div>
          {photoErrors.map((error) => (
            <ErrorNotice key={error.message} error={error} action="Loading the photos" />
          ))}
          <ErrorNotice
            error={explanation.matchesError}
            action="Explaining this pair"
            onRetry={() => setRetry((r) => r + 1)}
          />
          <ErrorNotice
            error={explanation.pixelsError}
            action="Computing pixel maps"
            onRetry={() => setRetry((r) => r + 1)}
          />
          <PairCanvas
            photos={[photoA.image, photoB.image]}
            size={size}
            matches={matches}
            pixels={pixels}
            overlays={overlays}
            clean={clean.clean}
            focus={focus}
            transform={transform}
            onTransform={setTransform}
            onHoverMatch={setHovered}
            onExplanationDrawn={onExplanationDrawn}
          />
        </div>
        <aside className="pair-side">
          <h2>
            Matches{' '}
            <span className="muted">
              {matches ? `${shownMatches} of ${matches.matches.length} · ${matches.layer.key}` : ''}
            </span>
          </h2>
          {matches ? (
            <MatchList
              matches={matches}
              pixelMaps={pixels ? pixels.kColors : null}
              selected={selected}
              onSelect={setSelected}
              onHover={setHovered}
            />
          ) : (
            !explanation.matchesError && <p className="muted">Computing…</p>
          )}
        </aside>
      </div>

      <div className="decision-bar" role="group" aria-label="Decision">
        {DECISION_BUTTONS.map(({ verdict, label, key }) => (
          <button
            key={verdict}
            type="button"
            className={`decide ${verdict}`}
            onClick={() => void decide(verdict)}
            disabled={busy}
            aria-keyshortcuts={key}
          >
            {label}
          </button>
        ))}
        <button type="button" onClick={skip} disabled={busy} aria-keyshortcuts="N">
          Skip
        </button>
        <input
          ref={noteField}
          type="text"
          className="note"
          value={note}
          onChange={(event) => setNote(event.target.value)}
          placeholder="Note (optional, / to type)"
          aria-label="Note"
        />
        <button type="button" onClick={() => void undo()} disabled={busy} aria-keyshortcuts="Control+Z">
          Undo
        </button>
        <span className="keys muted">S · D · U · N · Ctrl+Z</span>
      </div>
      <ErrorNotice error={actionError} action="The last action" />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {conflict && (
        <MergeDialog
          nameA={conflict.nameA}
          nameB={conflict.nameB}
          onChoose={(choiceMade) => void decide(conflict.verdict, choiceMade)}
          onCancel={() => setConflict(null)}
        />
      )}
    </section>
  );
}
