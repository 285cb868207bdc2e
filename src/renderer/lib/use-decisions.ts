import { useCallback, useState } from 'react';
import type { CandidatePair, MergeChoice, Verdict } from '../../shared/api.ts';
import { nextOpen, pairKey, samePair, type PairStatus } from './queue.ts';
import { useClient } from './use-client.ts';
import type { Review } from './use-review.ts';

const VERDICT_LABEL: Record<Verdict, string> = {
  same: 'Same individual',
  different: 'Different individuals',
  unsure: 'Unsure',
};

/**
 * The first question without a status in this session (skipped ones wait) at or after `from`, wrapping
 * to the head; -1 when there is none. The decided question has left the refreshed queue, so `from` (where
 * it stood) holds what came after it: the pair that was prefetched.
 */
function firstOpen(
  queue: readonly CandidatePair[],
  statuses: ReadonlyMap<string, PairStatus>,
  from = 0,
): number {
  const open = (candidate: CandidatePair) => (statuses.get(pairKey(candidate)) ?? 'open') === 'open';
  for (let step = 0; step < queue.length; step++) {
    const at = (from + step) % queue.length;
    if (open(queue[at])) return at;
  }
  return -1;
}

export interface MergeConflict {
  verdict: Verdict;
  nameA: string;
  nameB: string;
}

export interface Decisions {
  busy: boolean;
  /** A "same" on two differently named annotations, waiting for the name to keep. */
  conflict: MergeConflict | null;
  cancelConflict: () => void;
  /** What the last action did, for the status line. */
  notice: string | null;
  setNotice: (notice: string | null) => void;
  actionError: Error | null;
  setActionError: (error: Error | null) => void;
  decide: (verdict: Verdict, confirmMerge?: MergeChoice) => Promise<void>;
  skip: () => void;
  undo: () => Promise<void>;
}

/**
 * Decisions on the pair in view: record one (asking which name to keep when it would merge two named
 * individuals), skip, undo; each moves the queue on to the next open pair or back to the undone one.
 */
export function useDecisions(
  review: Review,
  pair: CandidatePair | null,
  options: { note: string; reviewer: string | null },
): Decisions {
  const client = useClient();
  const { queue, index, statuses, setIndex, setStatus, refresh } = review;
  const { note, reviewer } = options;
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<MergeConflict | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<Error | null>(null);

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
        // What is known changed: the queue is asked again (merged individuals bring new questions,
        // "different" removes others) and the reviewer goes on from where the decided question stood.
        const fresh = await refresh((next) =>
          firstOpen(next, after, Math.min(index, Math.max(0, next.length - 1))),
        );
        if (fresh && firstOpen(fresh, after) < 0) goTo(null);
      } catch (error) {
        setActionError(error as Error);
      } finally {
        setBusy(false);
      }
    },
    [client, pair, queue, busy, note, reviewer, statuses, index, setStatus, goTo, refresh],
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
      // The undone question is open again: back to it where the queue now holds it.
      await refresh((next) =>
        Math.max(
          0,
          next.findIndex((candidate) => samePair(candidate, undone)),
        ),
      );
      setNotice(`Undone: ${undone.verdict} for #${undone.a} – #${undone.b}`);
    } catch (error) {
      setActionError(error as Error);
    } finally {
      setBusy(false);
    }
  }, [client, busy, reviewer, setStatus, refresh]);

  return {
    busy,
    conflict,
    cancelConflict: useCallback(() => setConflict(null), []),
    notice,
    setNotice,
    actionError,
    setActionError,
    decide,
    skip,
    undo,
  };
}
