import { useEffect, useMemo, useState } from 'react';
import type { Dispute, MergeChoice } from '../../shared/api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { MergeDialog } from '../components/MergeDialog.tsx';
import { answerTime, disputedPairs, disputesKey, jumpDispute } from '../lib/disputes.ts';
import { isEditableTarget } from '../lib/keyboard.ts';
import { moveIndex, pairKey } from '../lib/queue.ts';
import { useClient } from '../lib/use-client.ts';
import type { DisputeReview } from '../lib/use-dispute-review.ts';

interface Props {
  review: DisputeReview;
  reviewer: string | null;
  /** The selected pair in the pair view (PAIR-X). */
  onOpen: () => void;
  /** After a settling answer (the individuals may have changed). */
  onSettled: () => void;
}

const KIND_LABEL: Record<Dispute['kind'], string> = {
  pair: 'answers differ',
  contradiction: 'answers contradict',
  name: 'two names',
  rename: 'rename refused',
};

/**
 * What the team disagrees on: each open dispute with who answered what and when, on which photos. ↑/↓
 * choose a dispute, ←/→ one of its pairs, Enter shows the pair with its PAIR-X explanation, S or D is the
 * lead's answer on the pair: a decision with the lead's name, weighed by the lead's accuracy (Settings →
 * Reviewers) like every answer.
 */
export function DisputesView({ review, reviewer, onOpen, onSettled }: Props) {
  const client = useClient();
  const { disputes, index, setIndex, loading, error, reload } = review;
  const pairs = useMemo(() => disputedPairs(disputes ?? []), [disputes]);
  const selected = pairs[index] ?? null;
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<Error | null>(null);
  const [conflict, setConflict] = useState<{ verdict: 'same' | 'different'; nameA: string; nameB: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const settle = async (verdict: 'same' | 'different', confirmMerge?: MergeChoice) => {
    if (!selected || busy) return;
    setBusy(true);
    setActionError(null);
    try {
      const result = await client.call('decisions.decide', { a: selected.a, b: selected.b, verdict, reviewer: reviewer ?? undefined, confirmMerge });
      if ('conflict' in result) {
        setConflict({ verdict, ...result.conflict });
        return;
      }
      setConflict(null);
      setNotice(`Settled: ${verdict} for #${selected.a} – #${selected.b}${reviewer ? ` by ${reviewer}` : ''}`);
      await review.refresh((next) => Math.min(index, Math.max(0, next.length - 1)));
      onSettled();
    } catch (failure) {
      setActionError(failure as Error);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (conflict) return;
      const action = disputesKey({ key: event.key, ctrlKey: event.ctrlKey, metaKey: event.metaKey, altKey: event.altKey, editable: isEditableTarget(event.target) });
      if (!action) return;
      event.preventDefault();
      if (action.type === 'pair') setIndex(moveIndex(index, action.delta, pairs.length));
      else if (action.type === 'dispute') setIndex(jumpDispute(pairs, index, action.delta));
      else if (action.type === 'open' && selected) onOpen();
      else if (action.type === 'settle') void settle(action.verdict);
      else if (action.type === 'reload') void reload();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const thumb = (id: number, file: string) => <img className="dispute-thumb" src={client.mediaUrl({ kind: 'thumb', annotationId: id })} alt={file} loading="lazy" />;

  return (
    <section className="disputes-view">
      <div className="queue-header">
        <h1>Disputes</h1>
        <span className="muted">{disputes ? `${disputes.length} open` : ''}</span>
        <button type="button" onClick={() => void reload()} disabled={loading}>
          {loading ? 'Loading…' : 'Reload'}
        </button>
        <button type="button" onClick={onOpen} disabled={!selected}>
          Pair view (Enter)
        </button>
        <button type="button" className="decide same" onClick={() => void settle('same')} disabled={!selected || busy}>
          Same (S)
        </button>
        <button type="button" className="decide different" onClick={() => void settle('different')} disabled={!selected || busy}>
          Different (D)
        </button>
      </div>
      <p className="hint">
        ↑/↓ dispute · ←/→ pair · Enter the pair with its PAIR-X explanation · S / D your answer as lead
        {reviewer ? ` (recorded as ${reviewer})` : ' (set your name in Settings)'}: it weighs as your accuracy in Settings → Reviewers says
      </p>
      <ErrorNotice error={error} action="Listing disputes" onRetry={() => void reload()} />
      <ErrorNotice error={actionError} action="Settling" />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {disputes && disputes.length === 0 && <p className="muted">No disputes: the team’s answers agree.</p>}
      <ul className="disputes" role="listbox" aria-label="Disputes">
        {(disputes ?? []).map((dispute, d) => {
          const current = selected !== null && selected.dispute === d;
          return (
            <li key={dispute.id} role="option" aria-selected={current} className={current ? 'dispute selected' : 'dispute'} data-dispute={dispute.id}>
              <div className="dispute-head">
                <span className={`dispute-kind kind-${dispute.kind}`}>{KIND_LABEL[dispute.kind]}</span>
                <span>{dispute.summary}</span>
              </div>
              {dispute.answers.length > 0 && (
                <table className="answers">
                  <tbody>
                    {dispute.answers.map((answer) => {
                      const onSelected = selected !== null && pairKey(selected) === pairKey(answer);
                      return (
                        <tr
                          key={answer.uid}
                          className={onSelected && current ? 'answer selected' : 'answer'}
                          onClick={() => {
                            const at = pairs.findIndex((pair) => pairKey(pair) === pairKey(answer));
                            if (at >= 0) setIndex(at);
                          }}
                          onDoubleClick={onOpen}
                        >
                          <td className="answer-who">{answer.reviewer ?? '—'}</td>
                          <td>
                            <span className={`status status-${answer.verdict}`}>{answer.verdict}</span>
                          </td>
                          <td className="muted" title={answer.createdAt}>
                            {answerTime(answer.createdAt)}
                          </td>
                          <td className="answer-photos">
                            {thumb(answer.a, answer.fileA)}
                            <span>
                              #{answer.a} {answer.fileA}
                            </span>
                            <span className="muted">–</span>
                            {thumb(answer.b, answer.fileB)}
                            <span>
                              #{answer.b} {answer.fileB}
                            </span>
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              )}
            </li>
          );
        })}
      </ul>
      {conflict && (
        <MergeDialog nameA={conflict.nameA} nameB={conflict.nameB} onChoose={(choice) => void settle(conflict.verdict, choice)} onCancel={() => setConflict(null)} />
      )}
    </section>
  );
}
