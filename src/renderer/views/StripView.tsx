import { useCallback, useEffect, useState } from 'react';
import type { Annotation, ApiResult, MergeChoice } from '../../shared/api.ts';
import { annotationVersion } from '../../shared/bridge.ts';
import { AnnotationFacts } from '../components/AnnotationFacts.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { FaithfulnessBadge } from '../components/FaithfulnessBadge.tsx';
import { MergeDialog } from '../components/MergeDialog.tsx';
import { PairCanvas } from '../components/PairCanvas.tsx';
import { QuestionReasonBanner } from '../components/QuestionReason.tsx';
import type { ExplainChoice } from '../lib/explain-settings.ts';
import { formatNumber } from '../lib/format.ts';
import { isEditableTarget } from '../lib/keyboard.ts';
import { useClient } from '../lib/use-client.ts';
import { useExplanation, type ExplanationRequest } from '../lib/use-explanation.ts';
import { useImage } from '../lib/use-image.ts';
import { useLayers } from '../lib/use-layers.ts';
import type { Review } from '../lib/use-review.ts';
import { IDENTITY, type ViewTransform } from '../lib/view-transform.ts';

type Strip = ApiResult<'review.strip'>;

interface Props {
  review: Review;
  /** The annotation to identify; its individual is compared with the strip's. */
  focus: number;
  onFocus: (annotationId: number) => void;
  choice: ExplainChoice;
  reviewer: string | null;
  onBack: () => void;
}

const STRIP_LENGTH = 8;
const OVERLAYS = { heat: true, lines: true, pixels: true };

/**
 * One photo against its candidates (as Wildbook and HotSpotter users know it): the annotation's
 * individual beside a strip of its most probable other individuals, the selected candidate explained
 * by PAIR-X in the large view. ←/→ (or J/K) choose, S "same as this one", N "none of these" (a
 * "different" against every individual shown), U unsure about the selected pair, ] the next photo,
 * Ctrl+Z undo, Esc back to the queue.
 */
export function StripView({ review, focus, onFocus, choice, reviewer, onBack }: Props) {
  const client = useClient();
  const [strip, setStrip] = useState<Strip | null>(null);
  const [annotations, setAnnotations] = useState<ReadonlyMap<number, Annotation>>(new Map());
  const [selected, setSelected] = useState(0);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [conflict, setConflict] = useState<{ nameA: string; nameB: string } | null>(null);
  const [transform, setTransform] = useState<ViewTransform>(IDENTITY);
  const [hovered, setHovered] = useState<number | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const next = await client.call('review.strip', { annotationId: focus, limit: STRIP_LENGTH });
      const ids = [...new Set([...next.members, ...next.candidates.map((c) => c.b)])];
      const { annotations: listed } = await client.call('catalog.list', { ids, limit: ids.length });
      setAnnotations(new Map(listed.map((annotation) => [annotation.id, annotation])));
      setStrip(next);
      setSelected(0);
      setTransform(IDENTITY);
    } catch (failure) {
      setError(failure as Error);
    }
  }, [client, focus]);

  useEffect(() => {
    setStrip(null);
    void load();
  }, [load]);

  const candidate = strip?.candidates[selected] ?? null;
  const model = strip?.model ?? review.model ?? '';
  const layers = useLayers(review.model);
  const layer =
    choice.layer && layers.data?.layers.some((l) => l.key === choice.layer)
      ? choice.layer
      : layers.data?.default;
  const ready = Boolean(layers.data || layers.error);
  const requestFor = (index: number): ExplanationRequest | null => {
    const pair = strip?.candidates[index];
    return pair && ready
      ? { model, a: pair.a, b: pair.b, layer, kLines: choice.kLines, kColors: choice.kColors }
      : null;
  };
  // The next candidate of the strip is explained in the background while this one is looked at.
  const explanation = useExplanation(requestFor(selected), requestFor(selected + 1), 0);
  const viewUrl = (annotationId: number) => client.mediaUrl({ kind: 'view', annotationId });
  const photoA = useImage(candidate ? viewUrl(candidate.a) : null, model, 'A');
  const photoB = useImage(candidate ? viewUrl(candidate.b) : null, model, 'B');

  const act = useCallback(
    async (what: () => Promise<string | null>) => {
      if (busy) return;
      setBusy(true);
      setError(null);
      try {
        const said = await what();
        if (said !== null) {
          setNotice(said);
          await load();
          void review.refresh((queue) => Math.min(review.index, queue.length - 1));
        }
      } catch (failure) {
        setError(failure as Error);
      } finally {
        setBusy(false);
      }
    },
    [busy, load, review],
  );

  const same = useCallback(
    (confirmMerge?: MergeChoice) =>
      act(async () => {
        if (!candidate) return null;
        const result = await client.call('decisions.decide', {
          a: candidate.a,
          b: candidate.b,
          verdict: 'same',
          reviewer: reviewer ?? undefined,
          confirmMerge,
        });
        if ('conflict' in result) {
          setConflict(result.conflict);
          return null;
        }
        setConflict(null);
        return `Saved: same individual, #${candidate.a} – #${candidate.b}${result.individual ? ` (now “${result.individual.name}”)` : ''}`;
      }),
    [act, candidate, client, reviewer],
  );

  const noneOfThese = useCallback(
    () =>
      act(async () => {
        if (!strip || strip.candidates.length === 0) return null;
        const pairs = strip.candidates.map(({ a, b }) => ({ a, b }));
        await client.call('decisions.noneOf', { pairs, reviewer: reviewer ?? undefined });
        return `Saved: none of these ${pairs.length} individuals`;
      }),
    [act, strip, client, reviewer],
  );

  const unsure = useCallback(
    () =>
      act(async () => {
        if (!candidate) return null;
        await client.call('decisions.decide', {
          a: candidate.a,
          b: candidate.b,
          verdict: 'unsure',
          reviewer: reviewer ?? undefined,
        });
        return `Saved: unsure, #${candidate.a} – #${candidate.b}`;
      }),
    [act, candidate, client, reviewer],
  );

  const undo = useCallback(
    () =>
      act(async () => {
        const { undone } = await client.call('decisions.undo', { reviewer: reviewer ?? undefined });
        return `Undone: ${undone.verdict} for #${undone.a} – #${undone.b}`;
      }),
    [act, client, reviewer],
  );

  /** The next photo to identify: the queue's most probable question about another individual. */
  const nextFocus = useCallback(() => {
    const members = new Set(strip?.members ?? [focus]);
    const next = review.queue?.find((pair) => !members.has(pair.a) && !members.has(pair.b));
    if (next) onFocus(next.a);
    else setNotice('No other photo has open questions.');
  }, [strip, focus, review.queue, onFocus]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (conflict || isEditableTarget(event.target) || event.altKey) return;
      const count = strip?.candidates.length ?? 0;
      const key = event.key.toLowerCase();
      let handled = true;
      if ((event.ctrlKey || event.metaKey) && key === 'z') void undo();
      else if (event.ctrlKey || event.metaKey) handled = false;
      else if (key === 'arrowright' || key === 'j') setSelected((s) => Math.min(count - 1, s + 1));
      else if (key === 'arrowleft' || key === 'k') setSelected((s) => Math.max(0, s - 1));
      else if (key === 's') void same();
      else if (key === 'n') void noneOfThese();
      else if (key === 'u') void unsure();
      else if (key === ']') nextFocus();
      else if (key === 'escape') onBack();
      else handled = false;
      if (handled) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [conflict, strip, same, noneOfThese, unsure, undo, nextFocus, onBack]);

  const focusAnnotation = annotations.get(candidate?.a ?? focus);
  const { matches, pixels } = explanation;
  const loaded = photoA.image ?? photoB.image;
  const size =
    matches?.input ??
    (loaded ? { width: loaded.naturalWidth, height: loaded.naturalHeight } : { width: 1, height: 1 });

  return (
    <section className="strip-view" data-focus={focus}>
      <div className="queue-header">
        <button type="button" onClick={onBack}>
          ← Queue (Esc)
        </button>
        <h1>One photo against its candidates</h1>
        <span className="muted">
          {strip
            ? `${strip.individual ? `“${strip.individual.name}”` : 'unnamed photo'} · ${strip.members.length} photo${strip.members.length === 1 ? '' : 's'} · ${strip.candidates.length} candidates`
            : 'Loading…'}
        </span>
        <button type="button" onClick={nextFocus}>
          Next photo (])
        </button>
      </div>
      <p className="hint">
        ←/→ or J/K choose · S same as the chosen one · N none of these · U unsure · ] next photo · Ctrl+Z undo
      </p>
      <ErrorNotice error={error} action="The strip" onRetry={() => void load()} />
      {strip && strip.candidates.length === 0 && (
        <p className="muted">No open candidates for this photo’s individual.</p>
      )}
      {candidate && <QuestionReasonBanner reason={candidate.reason} />}
      {candidate && (
        <div className="pair-body">
          <div className="pair-stage">
            <div className="pair-facts">
              <AnnotationFacts annotation={focusAnnotation} id={candidate.a} label="Photo" />
              <AnnotationFacts
                annotation={annotations.get(candidate.b)}
                id={candidate.b}
                label={`Candidate ${selected + 1}`}
              />
            </div>
            <ErrorNotice error={explanation.matchesError} action="Explaining this pair" />
            <FaithfulnessBadge conservation={pixels?.conservation ?? matches?.conservation} layer={matches?.layer.key} />
            <PairCanvas
              photos={[photoA.image, photoB.image]}
              size={size}
              matches={matches}
              pixels={pixels}
              overlays={OVERLAYS}
              clean={false}
              focus={hovered}
              transform={transform}
              onTransform={setTransform}
              onHoverMatch={setHovered}
              onExplanationDrawn={() => undefined}
            />
          </div>
        </div>
      )}
      {strip && strip.candidates.length > 0 && (
        <ol className="candidate-strip" aria-label="Candidates">
          {strip.candidates.map((pair, position) => {
            const annotation = annotations.get(pair.b);
            return (
              <li key={`${pair.a}-${pair.b}`}>
                <button
                  type="button"
                  className={position === selected ? 'strip-card selected' : 'strip-card'}
                  aria-pressed={position === selected}
                  onClick={() => setSelected(position)}
                >
                  <img
                    src={client.mediaUrl({ kind: 'thumb', annotationId: pair.b, ...(annotation ? { version: annotationVersion(annotation) } : {}) })}
                    alt={`candidate ${position + 1}`}
                  />
                  <span>{pair.individualB?.name ?? annotation?.name ?? <em>unnamed</em>}</span>
                  <span className="muted">
                    p {formatNumber(pair.probability, 2)} · {pair.sizeB} photo{pair.sizeB === 1 ? '' : 's'}
                  </span>
                </button>
              </li>
            );
          })}
        </ol>
      )}
      <div className="decision-bar" role="group" aria-label="Decision">
        <button
          type="button"
          className="decide same"
          disabled={busy || !candidate}
          onClick={() => void same()}
        >
          Same as this one (S)
        </button>
        <button
          type="button"
          className="decide different"
          disabled={busy || !strip?.candidates.length}
          onClick={() => void noneOfThese()}
        >
          None of these (N)
        </button>
        <button
          type="button"
          className="decide unsure"
          disabled={busy || !candidate}
          onClick={() => void unsure()}
        >
          Unsure (U)
        </button>
        <button type="button" disabled={busy} onClick={() => void undo()}>
          Undo (Ctrl+Z)
        </button>
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {conflict && (
        <MergeDialog
          nameA={conflict.nameA}
          nameB={conflict.nameB}
          onChoose={(keep) => void same(keep)}
          onCancel={() => setConflict(null)}
        />
      )}
    </section>
  );
}
