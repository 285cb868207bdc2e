import { useEffect, useState } from 'react';
import type { Annotation, CandidatePair } from '../../shared/api.ts';
import { annotationVersion } from '../../shared/bridge.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { reasonLabel } from '../components/QuestionReason.tsx';
import { VirtualGrid } from '../components/VirtualGrid.tsx';
import { annotationLabel, fileName, formatNumber } from '../lib/format.ts';
import { isEditableTarget, queueKey } from '../lib/keyboard.ts';
import { moveIndex, pairKey } from '../lib/queue.ts';
import { useClient } from '../lib/use-client.ts';
import type { Review } from '../lib/use-review.ts';

interface Props {
  review: Review;
  onOpen: () => void;
  /** One photo against its candidates, for this annotation. */
  onStrip: (annotationId: number) => void;
  /** One individual at a glance. */
  onIndividual: (name: string) => void;
  reviewer: string | null;
}

const STATUS_LABEL: Record<string, string> = {
  open: 'open',
  same: 'same',
  different: 'different',
  unsure: 'unsure',
  skipped: 'skipped',
};

/** The review queue: questions about pairs of individuals, most probable first. ↑/↓ or J/K move, Enter opens the pair view, Ctrl+Z undoes the last decision. */
export function QueueView({ review, onOpen, onStrip, onIndividual, reviewer }: Props) {
  const client = useClient();
  const { queue, annotations, statuses, index, setIndex, loading, error, reload, model, progress } = review;
  const [notice, setNotice] = useState<string | null>(null);
  const [undoError, setUndoError] = useState<Error | null>(null);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!queue) return;
      const plain = !event.ctrlKey && !event.metaKey && !event.altKey && !isEditableTarget(event.target);
      if (plain && event.key.toLowerCase() === 'o' && queue[index]) {
        event.preventDefault();
        onStrip(queue[index].a);
        return;
      }
      if (plain && event.key.toLowerCase() === 'i' && queue[index]) {
        const individual = queue[index].individualA ?? queue[index].individualB;
        if (individual) {
          event.preventDefault();
          onIndividual(individual.name);
        }
        return;
      }
      const action = queueKey({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        shiftKey: event.shiftKey,
        editable: isEditableTarget(event.target),
      });
      if (!action) return;
      event.preventDefault();
      if (action.type === 'move') setIndex(moveIndex(index, action.delta, queue.length));
      else if (action.type === 'first') setIndex(0);
      else if (action.type === 'last') setIndex(queue.length - 1);
      else if (action.type === 'open' && queue.length > 0) onOpen();
      else if (action.type === 'undo') {
        client.call('decisions.undo', { reviewer: reviewer ?? undefined }).then(({ undone }) => {
          review.setStatus(undone, 'open');
          setNotice(`Undid “${undone.verdict}” for #${undone.a} – #${undone.b}`);
        }, setUndoError);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [client, queue, index, setIndex, onOpen, onStrip, onIndividual, reviewer, review]);

  const thumb = (annotation: Annotation | undefined, id: number) =>
    annotation?.thumbnail ? (
      <img
        src={client.mediaUrl({ kind: 'thumb', annotationId: id, version: annotationVersion(annotation) })}
        alt={annotationLabel(annotation)}
        loading="lazy"
      />
    ) : (
      <span className="thumb-missing">#{id}</span>
    );

  const row = (pair: CandidatePair, position: number) => {
    const a = annotations.get(pair.a);
    const b = annotations.get(pair.b);
    const status = statuses.get(pairKey(pair)) ?? 'open';
    return (
      <div
        className="queue-row"
        onClick={() => setIndex(position)}
        onDoubleClick={() => {
          setIndex(position);
          onOpen();
        }}
      >
        <span className="queue-position">{position + 1}</span>
        {thumb(a, pair.a)}
        <span className="queue-names">
          <span>
            {pair.individualA?.name ?? <em>unnamed</em>}
            {pair.sizeA > 1 && <span className="muted"> · {pair.sizeA} photos</span>}
          </span>
          <span className="muted">{a ? `${fileName(a.image)} · ${a.side ?? '?'}` : `#${pair.a}`}</span>
        </span>
        {thumb(b, pair.b)}
        <span className="queue-names">
          <span>
            {pair.individualB?.name ?? <em>unnamed</em>}
            {pair.sizeB > 1 && <span className="muted"> · {pair.sizeB} photos</span>}
          </span>
          <span className="muted">{b ? `${fileName(b.image)} · ${b.side ?? '?'}` : `#${pair.b}`}</span>
        </span>
        <span className="queue-number" title="probability that the two are one animal">
          {formatNumber(pair.probability, 2)}
        </span>
        <span className="queue-number" title="cosine similarity">
          {formatNumber(pair.similarity)}
        </span>
        <span className="queue-number" title="PAIR-X plausibility">
          {formatNumber(pair.plausibility, 2)}
        </span>
        <span className={`status status-${status}`}>
          {STATUS_LABEL[status]}
          {pair.reason && (
            <span className={`reason-tag reason-${pair.reason.kind}`} title={pair.reason.message}>
              {reasonLabel(pair.reason)}
            </span>
          )}
        </span>
      </div>
    );
  };

  return (
    <section className="queue-view">
      <div className="queue-header">
        <h1>Review queue</h1>
        <span className="muted">
          {queue ? `${queue.length} questions` : ''}
          {model ? ` · model ${model.split('@')[0]}` : ''}
        </span>
        <button type="button" onClick={() => void reload()} disabled={loading}>
          {loading ? 'Loading…' : 'Reload'}
        </button>
        <button
          type="button"
          onClick={() => queue?.[index] && onStrip(queue[index].a)}
          disabled={!queue || queue.length === 0}
        >
          Photo against candidates (O)
        </button>
        <button type="button" className="primary" onClick={onOpen} disabled={!queue || queue.length === 0}>
          Open pair (Enter)
        </button>
      </div>
      <p className="hint">
        ↑/↓ or J/K move · Enter opens · O photo against candidates · I the individual at a glance · in the pair
        view S same, D different, U unsure, N skip, Ctrl+Z undo
      </p>
      {progress && (
        <p className="progress-line" aria-label="Progress">
          <span>
            <strong>{progress.decisions}</strong> decisions
          </span>
          <span>
            <strong>{progress.individuals}</strong> individuals among {progress.annotations} photos
          </span>
          <span title="the sum of the open questions' probabilities">
            about <strong>{progress.expectedMatches.toFixed(1)}</strong> matches still to find in{' '}
            {progress.openQuestions} open questions
          </span>
        </p>
      )}
      <ErrorNotice error={error} action="Loading the queue" onRetry={() => void reload()} />
      <ErrorNotice error={undoError} action="Undo" />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {queue && queue.length === 0 && (
        <p className="muted">
          No candidate pairs: every pair is decided, or the catalog needs embeddings (Catalog → Compute
          embeddings).
        </p>
      )}
      <div className="queue-columns" aria-hidden="true">
        <span>#</span>
        <span>Annotation A</span>
        <span>Annotation B</span>
        <span>Probability</span>
        <span>Similarity</span>
        <span>Plausibility</span>
        <span>Status</span>
      </div>
      {queue && (
        <VirtualGrid
          label="Candidate pairs"
          role="listbox"
          items={queue}
          cellWidth="fill"
          cellHeight={72}
          gap={4}
          keyOf={pairKey}
          render={row}
          selectedIndex={index}
        />
      )}
    </section>
  );
}
