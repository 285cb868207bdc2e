import { useCallback, useEffect, useState } from 'react';
import type { Annotation, IndividualDetail } from '../../shared/api.ts';
import { AnnotationFacts } from '../components/AnnotationFacts.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { PairCanvas } from '../components/PairCanvas.tsx';
import type { ExplainChoice } from '../lib/explain-settings.ts';
import { formatNumber } from '../lib/format.ts';
import { isEditableTarget } from '../lib/keyboard.ts';
import { useClient } from '../lib/use-client.ts';
import { useExplanation, type ExplanationRequest } from '../lib/use-explanation.ts';
import { useImage } from '../lib/use-image.ts';
import { useLayers } from '../lib/use-layers.ts';
import { IDENTITY, type ViewTransform } from '../lib/view-transform.ts';

interface Props {
  name: string;
  model: string | null;
  choice: ExplainChoice;
  reviewer: string | null;
  /** After a decision here: the review queue reloads. */
  onChanged: () => void;
  /** The individual now has another name (after a split it may be gone): show that one. */
  onName: (name: string | null) => void;
  onBack: () => void;
}

const OVERLAYS = { heat: true, lines: true, pixels: true };
type Member = IndividualDetail['members'][number];

const supportText = (member: Member): string =>
  member.givenByPerson ? 'named by a person' : member.support === null ? 'alone' : `held at ${formatNumber(100 * member.support, 0)} %`;

/**
 * One individual at a glance: every photo of it, each with how strongly the answers and the model hold it
 * to the rest, the one the evidence supports least marked. A photo is compared with its closest fellow
 * member by PAIR-X on demand (E), confirmed (C: "same" with that member) or split off (X: "different"
 * against every other member, one batch). ←/→ choose, Ctrl+Z undo, Esc back. Nothing is deleted: a
 * split is answers on record.
 */
export function IndividualView({ name, model, choice, reviewer, onChanged, onName, onBack }: Props) {
  const client = useClient();
  const [detail, setDetail] = useState<IndividualDetail | null>(null);
  const [annotations, setAnnotations] = useState<ReadonlyMap<number, Annotation>>(new Map());
  const [selected, setSelected] = useState(0);
  const [compare, setCompare] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [transform, setTransform] = useState<ViewTransform>(IDENTITY);

  const load = useCallback(
    async (keepSelection = false) => {
      setError(null);
      try {
        const next = await client.call('individuals.get', { name });
        const ids = next.members.map((member) => member.annotationId);
        const { annotations: listed } = await client.call('catalog.list', { ids, limit: Math.max(1, ids.length) });
        setAnnotations(new Map(listed.map((annotation) => [annotation.id, annotation])));
        setDetail(next);
        if (!keepSelection) {
          const weakest = next.members.findIndex((member) => member.annotationId === next.weakest);
          setSelected(Math.max(0, weakest));
        }
      } catch (failure) {
        setError(failure as Error);
      }
    },
    [client, name],
  );
  useEffect(() => {
    setDetail(null);
    setCompare(false);
    void load();
  }, [load]);

  const member = detail?.members[selected] ?? null;
  const closest = member?.closest ?? null;
  const layers = useLayers(model);
  const layer =
    choice.layer && layers.data?.layers.some((l) => l.key === choice.layer) ? choice.layer : layers.data?.default;
  const ready = Boolean(layers.data || layers.error);
  const request: ExplanationRequest | null =
    compare && member && closest && ready && model
      ? { model, a: member.annotationId, b: closest.annotationId, layer, kLines: choice.kLines, kColors: choice.kColors }
      : null;
  const explanation = useExplanation(request, null, 0);
  const viewUrl = (annotationId: number) => client.mediaUrl({ kind: 'view', annotationId });
  const photoA = useImage(request ? viewUrl(request.a) : null, model ?? '', 'A');
  const photoB = useImage(request ? viewUrl(request.b) : null, model ?? '', 'B');

  const act = useCallback(
    async (what: () => Promise<string | null>) => {
      if (busy) return;
      setBusy(true);
      setError(null);
      try {
        const said = await what();
        if (said === null) return;
        setNotice(said);
        onChanged();
        // The photo may have left, or the individual may have another name now.
        const after = member ? (await client.call('catalog.list', { ids: [member.annotationId] })).annotations[0] : undefined;
        const stillHere = (await client.call('individuals.list', {})).some((individual) => individual.name === name);
        if (!stillHere) onName(after?.name ?? null);
        else await load(true);
      } catch (failure) {
        setError(failure as Error);
      } finally {
        setBusy(false);
      }
    },
    [busy, client, load, member, name, onChanged, onName],
  );

  const confirm = useCallback(
    () =>
      act(async () => {
        if (!member || !closest) return null;
        const result = await client.call('decisions.decide', {
          a: member.annotationId,
          b: closest.annotationId,
          verdict: 'same',
          reviewer: reviewer ?? undefined,
        });
        if ('conflict' in result) return `Not recorded: #${member.annotationId} and #${closest.annotationId} are named “${result.conflict.nameA}” and “${result.conflict.nameB}”`;
        return `Saved: #${member.annotationId} belongs with #${closest.annotationId}${result.warning ? ` — ${result.warning}` : ''}`;
      }),
    [act, client, member, closest, reviewer],
  );

  const split = useCallback(
    () =>
      act(async () => {
        if (!member) return null;
        const { decisions } = await client.call('decisions.split', { annotationId: member.annotationId, reviewer: reviewer ?? undefined });
        return `Saved: #${member.annotationId} split off (${decisions.length} “different” answers, one undo takes them back)`;
      }),
    [act, client, member, reviewer],
  );

  const undo = useCallback(
    () =>
      act(async () => {
        const { undone, batch } = await client.call('decisions.undo', { reviewer: reviewer ?? undefined });
        return `Undone: ${undone.verdict} for #${undone.a} – #${undone.b}${batch.length > 1 ? ` and ${batch.length - 1} more of its batch` : ''}`;
      }),
    [act, client, reviewer],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isEditableTarget(event.target) || event.altKey) return;
      const count = detail?.members.length ?? 0;
      const key = event.key.toLowerCase();
      let handled = true;
      if ((event.ctrlKey || event.metaKey) && key === 'z') void undo();
      else if (event.ctrlKey || event.metaKey) handled = false;
      else if (key === 'arrowright' || key === 'j') {
        setSelected((s) => Math.min(count - 1, s + 1));
        setTransform(IDENTITY);
      } else if (key === 'arrowleft' || key === 'k') {
        setSelected((s) => Math.max(0, s - 1));
        setTransform(IDENTITY);
      } else if (key === 'e' || key === 'enter') setCompare((c) => !c);
      else if (key === 'c') void confirm();
      else if (key === 'x') void split();
      else if (key === 'escape') onBack();
      else handled = false;
      if (handled) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [detail, confirm, split, undo, onBack]);

  const { matches, pixels } = explanation;
  const loaded = photoA.image ?? photoB.image;
  const size = matches?.input ?? (loaded ? { width: loaded.naturalWidth, height: loaded.naturalHeight } : { width: 1, height: 1 });

  return (
    <section className="individual-view" data-individual={name}>
      <div className="queue-header">
        <button type="button" onClick={onBack}>
          ← Back (Esc)
        </button>
        <h1>Individual “{name}”</h1>
        <span className="muted">
          {detail
            ? `${detail.members.length} photo${detail.members.length === 1 ? '' : 's'}${detail.named ? ' · named by a person' : ''}`
            : 'Loading…'}
        </span>
      </div>
      <p className="hint">←/→ choose · E compare with its closest member · C belongs here · X split off · Ctrl+Z undo</p>
      <ErrorNotice error={error} action="The individual" onRetry={() => void load(true)} />
      {detail && (
        <ol className="member-grid" aria-label="Photos of this individual">
          {detail.members.map((entry, position) => {
            const annotation = annotations.get(entry.annotationId);
            const weakest = entry.annotationId === detail.weakest;
            const classes = ['member-card', position === selected ? 'selected' : '', weakest ? 'weakest' : ''].filter(Boolean).join(' ');
            return (
              <li key={entry.annotationId}>
                <button
                  type="button"
                  className={classes}
                  aria-pressed={position === selected}
                  onClick={() => {
                    setSelected(position);
                    setTransform(IDENTITY);
                  }}
                >
                  <img src={client.mediaUrl({ kind: 'thumb', annotationId: entry.annotationId })} alt={`#${entry.annotationId}`} loading="lazy" />
                  <span>
                    #{entry.annotationId} · {annotation?.side ?? 'side ?'}
                  </span>
                  <span className={weakest ? 'support weakest-label' : 'support muted'}>
                    {weakest ? 'weakest · ' : ''}
                    {supportText(entry)}
                  </span>
                  {entry.support !== null && (
                    <span className="support-bar" aria-hidden="true">
                      <span style={{ width: `${Math.round(100 * entry.support)}%` }} />
                    </span>
                  )}
                </button>
              </li>
            );
          })}
        </ol>
      )}
      {member && (
        <div className="member-detail">
          <p>
            <strong>#{member.annotationId}</strong> {supportText(member)}
            {member.logOdds !== null &&
              ` (answers ${formatNumber(member.human, 2)}, model ${member.model === null ? '–' : formatNumber(member.model, 2)} log-odds)`}
            {closest && ` · closest member #${closest.annotationId} (similarity ${formatNumber(closest.similarity)})`}
          </p>
          {member.answers.length > 0 && (
            <ul className="member-answers" aria-label="Answers about this photo">
              {member.answers.map((answer) => (
                <li key={answer.decisionId}>
                  #{answer.decisionId}: “{answer.verdict}” with #{answer.other} by {answer.reviewer ?? 'no reviewer named'} (weight{' '}
                  {formatNumber(answer.weight, 2)})
                </li>
              ))}
            </ul>
          )}
          <div className="decision-bar" role="group" aria-label="Decision">
            <button type="button" onClick={() => setCompare((c) => !c)} disabled={!closest}>
              {compare ? 'Hide comparison (E)' : 'Compare with closest (E)'}
            </button>
            <button type="button" className="decide same" disabled={busy || !closest || member.givenByPerson} onClick={() => void confirm()}>
              Belongs here (C)
            </button>
            <button type="button" className="decide different" disabled={busy || detail!.members.length < 2 || member.givenByPerson} onClick={() => void split()}>
              Split off (X)
            </button>
            <button type="button" disabled={busy} onClick={() => void undo()}>
              Undo (Ctrl+Z)
            </button>
          </div>
        </div>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {request && member && closest && (
        <div className="pair-body">
          <div className="pair-stage">
            <div className="pair-facts">
              <AnnotationFacts annotation={annotations.get(member.annotationId)} id={member.annotationId} label="Photo" />
              <AnnotationFacts annotation={annotations.get(closest.annotationId)} id={closest.annotationId} label="Closest member" />
            </div>
            <ErrorNotice error={explanation.matchesError} action="Explaining this pair" />
            <PairCanvas
              photos={[photoA.image, photoB.image]}
              size={size}
              matches={matches}
              pixels={pixels}
              overlays={OVERLAYS}
              clean={false}
              focus={null}
              transform={transform}
              onTransform={setTransform}
              onHoverMatch={() => undefined}
              onExplanationDrawn={() => undefined}
            />
          </div>
        </div>
      )}
    </section>
  );
}
