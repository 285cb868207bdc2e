import { useCallback, useEffect, useRef, useState } from 'react';
import type { Annotation, CandidatePair, ReviewProgress } from '../../shared/api.ts';
import { clampIndex, pairKey, restorePosition, savePosition, type PairStatus } from './queue.ts';
import { storage, useClient } from './use-client.ts';
import { forgetWindowCache } from './window-cache.ts';

/** Longest queue loaded at once; the reviewer reloads it after working through it. */
const QUEUE_LIMIT = 2000;
const LIST_CHUNK = 500;
/** Questions at the head of the queue whose annotations are listed again after each decision. */
const FRESH_HEAD = 50;

export interface Review {
  queue: CandidatePair[] | null;
  model: string | null;
  /** Where the identification stands (decisions, individuals, matches still expected). */
  progress: ReviewProgress | null;
  annotations: ReadonlyMap<number, Annotation>;
  statuses: ReadonlyMap<string, PairStatus>;
  index: number;
  loading: boolean;
  error: Error | null;
  setIndex: (index: number) => void;
  setStatus: (pair: { a: number; b: number }, status: PairStatus) => void;
  reload: () => Promise<void>;
  /**
   * Loads the queue again after a decision (what is known changed: merged individuals bring new
   * questions, "different" removes others) and keeps this session's statuses; answers the new queue.
   */
  refresh: (choose: (queue: CandidatePair[]) => number) => Promise<CandidatePair[] | null>;
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
  const [progress, setProgress] = useState<ReviewProgress | null>(null);
  const [annotations, setAnnotations] = useState<ReadonlyMap<number, Annotation>>(new Map());
  const [statuses, setStatuses] = useState<ReadonlyMap<string, PairStatus>>(new Map());
  const [index, setIndexState] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const generation = useRef(0);
  const annotationsRef = useRef<ReadonlyMap<number, Annotation>>(new Map());
  annotationsRef.current = annotations;

  /** The queue's head and the annotations it shows; `keep` reuses annotations already listed. */
  const fetchQueue = useCallback(
    async (keep: ReadonlyMap<number, Annotation>) => {
      const candidates = await client.call('pairs.candidates', { limit: QUEUE_LIMIT });
      const byId = new Map<number, Annotation>();
      const ids = [...new Set(candidates.queue.flatMap((pair) => [pair.a, pair.b]))];
      // The head of the queue is listed afresh (a merge renames what it joins); further down the rows
      // name their individuals from the queue itself, and photo, side and thumbnail do not change.
      const head = new Set(candidates.queue.slice(0, FRESH_HEAD).flatMap((pair) => [pair.a, pair.b]));
      const missing = ids.filter((id) => head.has(id) || !keep.has(id));
      for (const id of ids) if (!head.has(id) && keep.has(id)) byId.set(id, keep.get(id)!);
      for (let start = 0; start < missing.length; start += LIST_CHUNK) {
        const chunk = missing.slice(start, start + LIST_CHUNK);
        const { annotations: listed } = await client.call('catalog.list', {
          ids: chunk,
          limit: chunk.length,
        });
        for (const annotation of listed) byId.set(annotation.id, annotation);
      }
      return { candidates, byId };
    },
    [client],
  );

  const reload = useCallback(async () => {
    if (!catalog) return;
    const mine = ++generation.current;
    setLoading(true);
    setError(null);
    try {
      const { candidates, byId } = await fetchQueue(new Map());
      if (mine !== generation.current) return;
      forgetWindowCache(client);
      setQueue(candidates.queue);
      setModel(candidates.model);
      setProgress(candidates.progress);
      setAnnotations(byId);
      setStatuses(new Map());
      const store = storage();
      setIndexState(store ? restorePosition(store, catalog, candidates.queue) : 0);
    } catch (failure) {
      if (mine === generation.current) setError(failure as Error);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [client, catalog, fetchQueue]);

  const refresh = useCallback(
    async (choose: (queue: CandidatePair[]) => number) => {
      if (!catalog) return null;
      const mine = ++generation.current;
      try {
        const { candidates, byId } = await fetchQueue(annotationsRef.current);
        if (mine !== generation.current) return null;
        setQueue(candidates.queue);
        setModel(candidates.model);
        setProgress(candidates.progress);
        setAnnotations(byId);
        const next = clampIndex(choose(candidates.queue), candidates.queue.length);
        setIndexState(next);
        const store = storage();
        if (store) savePosition(store, catalog, candidates.queue, next);
        return candidates.queue;
      } catch (failure) {
        if (mine === generation.current) setError(failure as Error);
        return null;
      }
    },
    [catalog, fetchQueue],
  );

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

  return {
    queue,
    model,
    progress,
    annotations,
    statuses,
    index,
    loading,
    error,
    setIndex,
    setStatus,
    reload,
    refresh,
  };
}
