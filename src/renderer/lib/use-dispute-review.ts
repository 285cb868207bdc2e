import { useCallback, useEffect, useRef, useState } from 'react';
import type { Annotation, CandidatePair, Dispute } from '../../shared/api.ts';
import { disputedPairs } from './disputes.ts';
import { clampIndex, pairKey, type PairStatus } from './queue.ts';
import { useClient } from './use-client.ts';
import type { Review } from './use-review.ts';

export interface DisputeReview extends Review {
  disputes: Dispute[] | null;
}

/**
 * The open disputes as a queue the pair view can walk (one entry per disputed pair), so that a lead sees a
 * disputed pair with its PAIR-X explanation one key away and settles it there. `refresh` lists the
 * disputes again after each answer; a settled pair leaves the queue.
 */
export function useDisputeReview(catalog: string | null, model: string | null): DisputeReview {
  const client = useClient();
  const [disputes, setDisputes] = useState<Dispute[] | null>(null);
  const [queue, setQueue] = useState<CandidatePair[] | null>(null);
  const [annotations, setAnnotations] = useState<ReadonlyMap<number, Annotation>>(new Map());
  const [statuses, setStatuses] = useState<ReadonlyMap<string, PairStatus>>(new Map());
  const [index, setIndexState] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const generation = useRef(0);

  const fetchAll = useCallback(async () => {
    const listed = await client.call('team.disputes');
    const pairs = disputedPairs(listed);
    const ids = [...new Set(pairs.flatMap((pair) => [pair.a, pair.b]))];
    const byId = new Map<number, Annotation>();
    if (ids.length > 0) for (const annotation of (await client.call('catalog.list', { ids, limit: ids.length })).annotations) byId.set(annotation.id, annotation);
    const individual = (id: number) => {
      const annotation = byId.get(id);
      return annotation?.individualId ? { id: annotation.individualId, name: annotation.name ?? '' } : null;
    };
    const asked: CandidatePair[] = pairs.map((pair) => ({
      a: pair.a,
      b: pair.b,
      similarity: 0,
      plausibility: null,
      probability: 0,
      individualA: individual(pair.a),
      individualB: individual(pair.b),
      sizeA: 1,
      sizeB: 1,
    }));
    return { listed, asked, byId };
  }, [client]);

  const apply = (result: Awaited<ReturnType<typeof fetchAll>>) => {
    setDisputes(result.listed);
    setQueue(result.asked);
    setAnnotations(result.byId);
  };

  const reload = useCallback(async () => {
    if (!catalog) return;
    const mine = ++generation.current;
    setLoading(true);
    setError(null);
    try {
      const result = await fetchAll();
      if (mine !== generation.current) return;
      apply(result);
      setStatuses(new Map());
      setIndexState((i) => clampIndex(i, result.asked.length));
    } catch (failure) {
      if (mine === generation.current) setError(failure as Error);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [catalog, fetchAll]);

  const refresh = useCallback(
    async (choose: (next: CandidatePair[]) => number) => {
      const mine = ++generation.current;
      try {
        const result = await fetchAll();
        if (mine !== generation.current) return null;
        apply(result);
        setIndexState(clampIndex(choose(result.asked), result.asked.length));
        return result.asked;
      } catch (failure) {
        if (mine === generation.current) setError(failure as Error);
        return null;
      }
    },
    [fetchAll],
  );

  useEffect(() => {
    setDisputes(null);
    setQueue(null);
    if (catalog) void reload();
  }, [catalog, reload]);

  const setIndex = useCallback((next: number) => setIndexState(() => clampIndex(next, queue?.length ?? 0)), [queue]);
  const setStatus = useCallback((pair: { a: number; b: number }, status: PairStatus) => {
    setStatuses((previous) => new Map(previous).set(pairKey(pair), status));
  }, []);

  return { disputes, queue, model, progress: null, annotations, statuses, index, loading, error, setIndex, setStatus, reload, refresh };
}
