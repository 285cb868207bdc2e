import { useCallback, useEffect, useRef, useState } from 'react';
import type { PairMatchesPayload } from '../../shared/explanation.ts';
import { AnnotationFacts } from '../components/AnnotationFacts.tsx';
import { DecisionBar } from '../components/DecisionBar.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { FaithfulnessBadge } from '../components/FaithfulnessBadge.tsx';
import { MatchList } from '../components/MatchList.tsx';
import { MergeDialog } from '../components/MergeDialog.tsx';
import { OverlayToggles } from '../components/OverlayToggles.tsx';
import { PairCanvas } from '../components/PairCanvas.tsx';
import { PairToolbar } from '../components/PairToolbar.tsx';
import { QuestionReasonBanner } from '../components/QuestionReason.tsx';
import { WholePhotos } from '../components/WholePhotos.tsx';
import type { ExplainChoice } from '../lib/explain-settings.ts';
import { CLEAN_OFF, cleanKeyDown, cleanKeyUp, type Overlay } from '../lib/keyboard.ts';
import { moveIndex, nextOpen, pairKey } from '../lib/queue.ts';
import { useClient } from '../lib/use-client.ts';
import { useDecisions } from '../lib/use-decisions.ts';
import { MARK_DRAWN, useExplanation, type ExplanationRequest } from '../lib/use-explanation.ts';
import { preloadImage, useImage } from '../lib/use-image.ts';
import { useLayers } from '../lib/use-layers.ts';
import { usePairKeys } from '../lib/use-pair-keys.ts';
import type { Review } from '../lib/use-review.ts';
import { windowCache } from '../lib/window-cache.ts';
import { IDENTITY, type ViewTransform } from '../lib/view-transform.ts';

interface Props {
  review: Review;
  choice: ExplainChoice;
  onChoice: (change: Partial<ExplainChoice>) => void;
  reviewer: string | null;
  onBack: () => void;
}

/**
 * One candidate pair with its PAIR-X explanation, and the decision on it. Everything is on the
 * keyboard: S, D, U decide, N skips, Ctrl+Z undoes, J/K or ←/→ move between pairs, ↑/↓ walk the
 * matches, H shows the clean photos (tap toggles, hold shows while held), R/L/P switch the overlays.
 */
export function PairView({ review, choice, onChoice, reviewer, onBack }: Props) {
  const client = useClient();
  const { queue, index, annotations, statuses, setIndex } = review;
  const pair = queue?.[index] ?? null;
  const layers = useLayers(review.model);
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
  // W: the whole photos with their boxes instead of the model-sized crops.
  const [whole, setWhole] = useState(false);
  const [selected, setSelected] = useState<number | null>(null);
  const [hovered, setHovered] = useState<number | null>(null);
  const [transform, setTransform] = useState<ViewTransform>(IDENTITY);
  const [note, setNote] = useState('');
  const noteField = useRef<HTMLInputElement>(null);
  const decisions = useDecisions(review, pair, { note, reviewer });
  const { setNotice, setActionError } = decisions;

  // A new pair starts unzoomed, with no match selected.
  const currentKey = pair ? pairKey(pair) : '';
  useEffect(() => {
    setSelected(null);
    setHovered(null);
    setTransform(IDENTITY);
    setNote('');
    setActionError(null);
  }, [currentKey, setActionError]);

  const markedFor = useRef<string>('');
  const onExplanationDrawn = useCallback(
    (drawn: PairMatchesPayload) => {
      if (markedFor.current === explanation.key || drawn !== matches) return;
      markedFor.current = explanation.key;
      performance.mark(MARK_DRAWN, { detail: explanation.key });
    },
    [explanation.key, matches],
  );

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
  }, [client, pair, layer, choice.kLines, choice.kColors, setNotice, setActionError]);

  const shownMatches = matches ? Math.min(matches.kLines, matches.matches.length) : 0;

  const toggleOverlay = (overlay: Overlay) => setOverlays((o) => ({ ...o, [overlay]: !o[overlay] }));
  usePairKeys(!decisions.conflict, {
    decide: (verdict) => void decisions.decide(verdict),
    skip: decisions.skip,
    undo: () => void decisions.undo(),
    movePair: (delta) => {
      if (queue) setIndex(moveIndex(index, delta, queue.length));
    },
    moveMatch: (delta) => {
      if (shownMatches > 0)
        setSelected((s) =>
          s === null ? (delta > 0 ? 0 : shownMatches - 1) : Math.min(shownMatches - 1, Math.max(0, s + delta)),
        );
    },
    cleanDown: () => setClean((state) => cleanKeyDown(state, performance.now())),
    cleanUp: () => setClean((state) => cleanKeyUp(state, performance.now())),
    toggle: toggleOverlay,
    wholePhotos: () => setWhole((shown) => !shown),
    resetZoom: () => setTransform(IDENTITY),
    exportPicture: () => void exportPicture(),
    focusNote: () => noteField.current?.focus(),
    escape: () => {
      if (selected !== null) setSelected(null);
      else onBack();
    },
  });

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
  // The guard of the phase in view: the relevance pass to the layer first, every pass once pixel maps are in.
  const guard = pixels?.conservation ?? matches?.conservation;
  const photoErrors = [photoA.error, photoB.error].filter(
    (error): error is Error => error !== null && !explanation.matchesError,
  );

  return (
    <section className="pair-view" data-a={pair.a} data-b={pair.b}>
      <PairToolbar
        index={index}
        count={queue.length}
        status={status}
        similarity={matches?.similarity ?? pair.similarity}
        plausibility={matches?.plausibility?.inlierRatio ?? pair.plausibility}
        provider={matches?.provider ?? null}
        layer={layer}
        layers={layers.data ?? null}
        choice={choice}
        onChoice={onChoice}
        onBack={onBack}
        onMove={setIndex}
        onExport={() => void exportPicture()}
      />
      <OverlayToggles
        overlays={overlays}
        onToggle={toggleOverlay}
        clean={clean.clean}
        onToggleClean={() => setClean((state) => ({ clean: !state.clean, pressedAt: null }))}
        progress={
          explanation.matchesError
            ? ''
            : !matches
              ? 'computing matches…'
              : !pixels && !explanation.pixelsError
                ? 'computing pixel maps…'
                : ''
        }
      />

      <QuestionReasonBanner reason={pair.reason} />
      <div className="pair-body">
        <div className={guard && !guard.faithful ? 'pair-stage unfaithful' : 'pair-stage'}>
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
          <FaithfulnessBadge conservation={guard} layer={matches?.layer.key} onTryLayer={(key) => onChoice({ layer: key })} />
          <label className="check whole-toggle">
            <input type="checkbox" checked={whole} onChange={() => setWhole((shown) => !shown)} /> Whole photos with the
            boxes (W)
          </label>
          {whole && <WholePhotos a={a} b={b} />}
          <PairCanvas
            hidden={whole}
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

      <DecisionBar
        busy={decisions.busy}
        onDecide={(verdict) => void decisions.decide(verdict)}
        onSkip={decisions.skip}
        onUndo={() => void decisions.undo()}
        note={note}
        onNote={setNote}
        noteField={noteField}
      />
      <ErrorNotice error={decisions.actionError} action="The last action" />
      {decisions.notice && (
        <p className="notice" role="status">
          {decisions.notice}
        </p>
      )}
      {decisions.conflict && (
        <MergeDialog
          nameA={decisions.conflict.nameA}
          nameB={decisions.conflict.nameB}
          onChoose={(choiceMade) => void decisions.decide(decisions.conflict!.verdict, choiceMade)}
          onCancel={decisions.cancelConflict}
        />
      )}
    </section>
  );
}
