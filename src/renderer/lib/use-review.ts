import { useCallback, useEffect, useRef, useState } from 'react';
import type { Annotation, CandidatePair } from '../../shared/api.ts';
import { clampIndex, pairKey, restorePosition, savePosition, type PairStatus } from './queue.ts';
import { storage, useClient } from './use-client.ts';
import { forgetWindowCache } from './window-cache.ts';

/** Longest queue loaded at once; the reviewer reloads it after working through it. */
const QUEUE_LIMIT = 2000;
const LIST_CHUNK = 500;

export interface Review {
  queue: CandidatePair[] | null;
  model: string | null;
  annotations: ReadonlyMap<number, Annotation>;
  statuses: ReadonlyMap<string, PairStatus>;
  index: number;
  loading: boolean;
  error: Error | null;
  setIndex: (index: number) => void;
  setStatus: (pair: { a: number; b: number }, status: PairStatus) => void;
  reload: () => Promise<void>;
}

/**
 * The review queue of the open catalog, shared by the queue and the pair view: candidate pairs, the
 * annotations they show, what was decided in this session, and the position (kept per catalog in
 * localStorage, so that it survives a restart).
 */
export function useReview(catalog: string | null): Review {
  const client = useClient();
  const [queue, setQueue] = useState<CandidatePair[] | null>(null);
  const [model, setModel] = useState<string | null>(null);
  const [annotations, setAnnotations] = useState<ReadonlyMap<number, Annotation>>(new Map());
  const [statuses, setStatuses] = useState<ReadonlyMap<string, PairStatus>>(new Map());
  const [index, setIndexState] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const generation = useRef(0);

  const reload = useCallback(async () => {
    if (!catalog) return;
    const mine = ++generation.current;
    setLoading(true);
    setError(null);
    try {
      const candidates = await client.call('pairs.candidates', { k: 10, limit: QUEUE_LIMIT });
      const ids = [...new Set(candidates.queue.flatMap((pair) => [pair.a, pair.b]))];
      const byId = new Map<number, Annotation>();
      for (let start = 0; start < ids.length; start += LIST_CHUNK) {
        const chunk = ids.slice(start, start + LIST_CHUNK);
        const { annotations: listed } = await client.call('catalog.list', {
          ids: chunk,
          limit: chunk.length,
        });
        for (const annotation of listed) byId.set(annotation.id, annotation);
      }
      if (mine !== generation.current) return;
      forgetWindowCache(client);
      setQueue(candidates.queue);
      setModel(candidates.model);
      setAnnotations(byId);
      setStatuses(new Map());
      const store = storage();
      setIndexState(store ? restorePosition(store, catalog, candidates.queue) : 0);
    } catch (failure) {
      if (mine === generation.current) setError(failure as Error);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [client, catalog]);

  useEffect(() => {
    setQueue(null);
    setStatuses(new Map());
    setError(null);
    if (catalog) void reload();
  }, [catalog, reload]);

  const setIndex = useCallback(
    (next: number) => {
      setIndexState(() => {
        const clamped = clampIndex(next, queue?.length ?? 0);
        const store = storage();
        if (store && catalog && queue) savePosition(store, catalog, queue, clamped);
        return clamped;
      });
    },
    [catalog, queue],
  );

  const setStatus = useCallback((pair: { a: number; b: number }, status: PairStatus) => {
    setStatuses((previous) => new Map(previous).set(pairKey(pair), status));
  }, []);

  return { queue, model, annotations, statuses, index, loading, error, setIndex, setStatus, reload };
}
