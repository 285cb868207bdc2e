import { useCallback, useEffect, useRef, useState } from 'react';
import type { Annotation } from '../../shared/api.ts';
import type { BoxShape } from './box-geometry.ts';
import { useClient } from './use-client.ts';

/** Keyboard nudges are sent once the keys have been still this long: one edit for a run of presses. */
const NUDGE_SETTLE_MS = 450;

export const shapeOf = (annotation: Annotation): BoxShape | null => (annotation.box ? { ...annotation.box, theta: annotation.theta } : null);
const boxOf = (shape: BoxShape) => ({ x: shape.x, y: shape.y, w: shape.w, h: shape.h });

export interface PhotoEdits {
  /** The photo's annotations as they are (with unsent keyboard nudges applied), in id order. */
  annotations: Annotation[];
  /**
   * The same, as of now: key presses faster than the window draws see what the ones before them did
   * (each change is applied here at once, before the workbench answers).
   */
  latest: () => Annotation[];
  loading: boolean;
  error: Error | null;
  /** What the last edit or undo did, for a status line. */
  notice: string | null;
  add: (shape: BoxShape, side?: string | null) => Promise<Annotation | null>;
  change: (id: number, changes: { shape?: BoxShape; side?: string | null }) => Promise<void>;
  /** A keyboard nudge: shown at once, sent when the keys settle. */
  nudge: (id: number, shape: BoxShape) => void;
  remove: (id: number) => Promise<void>;
  undo: () => Promise<number | null>;
  /** Sends a pending nudge now (before leaving the photo). */
  flush: () => Promise<void>;
}

/**
 * The boxes of one photo and their edits through the workbench API, in the order they were made. Each
 * photo visit is an undo session of its own (`<view session>/<photo id>`): Ctrl+Z takes back this
 * visit's edits on this photo, newest first, as the edit history records them.
 */
export function usePhotoEdits(imageId: number, viewSession: string, reviewer: string | null, onChanged: () => void): PhotoEdits {
  const client = useClient();
  const session = `${viewSession}/${imageId}`;
  const [annotations, setAnnotationsState] = useState<Annotation[]>([]);
  const current = useRef<Annotation[]>([]);
  const setAnnotations = useCallback((next: Annotation[] | ((list: Annotation[]) => Annotation[])) => {
    current.current = typeof next === 'function' ? next(current.current) : next;
    setAnnotationsState(current.current);
  }, []);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const chain = useRef<Promise<unknown>>(Promise.resolve());
  // The caller's callback may change on every render; the edits' functions stay the same.
  const changed = useRef(onChanged);
  changed.current = onChanged;
  // Changes sent and not yet answered, per annotation: an answer does not overwrite what the window
  // shows while a later change of the same box is still on its way (or a nudge still to be sent).
  const unanswered = useRef(new Map<number, number>());
  const pending = useRef<{ id: number; shape: BoxShape; timer: ReturnType<typeof setTimeout> } | null>(null);

  const reload = useCallback(async () => {
    const page = await client.call('catalog.list', { imageId, limit: 1000 });
    setAnnotations(page.annotations);
  }, [client, imageId, setAnnotations]);

  useEffect(() => {
    let live = true;
    setAnnotations([]);
    setLoading(true);
    setError(null);
    setNotice(null);
    client.call('catalog.list', { imageId, limit: 1000 }).then(
      (page) => {
        if (!live) return;
        setAnnotations(page.annotations);
        setLoading(false);
      },
      (failure: Error) => {
        if (!live) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [client, imageId, setAnnotations]);

  const upsert = (annotation: Annotation) =>
    setAnnotations((list) => {
      const others = list.filter((a) => a.id !== annotation.id);
      return [...others, annotation].sort((a, b) => a.id - b.id);
    });

  const expect = (id: number) => unanswered.current.set(id, (unanswered.current.get(id) ?? 0) + 1);
  const answered = (annotation: Annotation) => {
    const left = (unanswered.current.get(annotation.id) ?? 1) - 1;
    if (left > 0) unanswered.current.set(annotation.id, left);
    else unanswered.current.delete(annotation.id);
    if (left <= 0 && pending.current?.id !== annotation.id) upsert(annotation);
  };

  /** Runs edits one after another; a failure is shown and the photo's boxes are read again. */
  const run = useCallback(
    <T,>(work: () => Promise<T>): Promise<T | null> => {
      const next = chain.current.then(async () => {
        try {
          setError(null);
          const value = await work();
          changed.current();
          return value;
        } catch (failure) {
          setError(failure as Error);
          unanswered.current.clear();
          await reload().catch(() => undefined);
          return null;
        }
      });
      chain.current = next;
      return next;
    },
    [reload],
  );

  const sendPending = useCallback((): Promise<void> => {
    const nudged = pending.current;
    if (!nudged) return chain.current.then(() => undefined);
    clearTimeout(nudged.timer);
    pending.current = null;
    expect(nudged.id);
    return run(async () => {
      answered(await client.call('annotations.update', { id: nudged.id, box: boxOf(nudged.shape), theta: nudged.shape.theta, session, reviewer: reviewer ?? undefined }));
    }).then(() => undefined);
  }, [client, run, session, reviewer]);

  // Leaving the photo sends what is still pending.
  useEffect(() => () => void sendPending(), [sendPending]);

  const nudge = useCallback(
    (id: number, shape: BoxShape) => {
      if (pending.current && pending.current.id !== id) void sendPending();
      if (pending.current) clearTimeout(pending.current.timer);
      pending.current = { id, shape, timer: setTimeout(() => void sendPending(), NUDGE_SETTLE_MS) };
      setAnnotations((list) => list.map((a) => (a.id === id ? { ...a, box: boxOf(shape), theta: shape.theta } : a)));
    },
    [sendPending],
  );

  const add = useCallback(
    async (shape: BoxShape, side?: string | null) => {
      await sendPending();
      return run(async () => {
        const added = await client.call('annotations.add', { imageId, box: boxOf(shape), theta: shape.theta, side, session, reviewer: reviewer ?? undefined });
        upsert(added);
        setNotice(`Added box #${added.id}`);
        return added;
      });
    },
    [client, imageId, run, sendPending, session, reviewer],
  );

  const change = useCallback(
    async (id: number, changes: { shape?: BoxShape; side?: string | null }) => {
      // Shown at once: a key pressed before the answer comes starts from this change.
      setAnnotations((list) =>
        list.map((a) =>
          a.id !== id
            ? a
            : {
                ...a,
                ...(changes.shape ? { box: boxOf(changes.shape), theta: changes.shape.theta } : {}),
                ...(changes.side !== undefined ? { side: changes.side } : {}),
              },
        ),
      );
      await sendPending();
      expect(id);
      await run(async () => {
        const updated = await client.call('annotations.update', {
          id,
          ...(changes.shape ? { box: boxOf(changes.shape), theta: changes.shape.theta } : {}),
          ...(changes.side !== undefined ? { side: changes.side } : {}),
          session,
          reviewer: reviewer ?? undefined,
        });
        answered(updated);
        setNotice(changes.side !== undefined ? `#${id}: side ${changes.side ?? 'unknown'}` : `Changed box #${id}`);
      });
    },
    [client, run, sendPending, session, reviewer],
  );

  const remove = useCallback(
    async (id: number) => {
      await sendPending();
      await run(async () => {
        await client.call('annotations.delete', { id, session, reviewer: reviewer ?? undefined });
        setAnnotations((list) => list.filter((a) => a.id !== id));
        setNotice(`Deleted #${id} (Ctrl+Z brings it back)`);
      });
    },
    [client, run, sendPending, session, reviewer],
  );

  const undo = useCallback(async () => {
    await sendPending();
    return run(async () => {
      const result = await client.call('annotations.undo', { session, reviewer: reviewer ?? undefined });
      if (result.annotation) upsert(result.annotation);
      else setAnnotations((list) => list.filter((a) => a.id !== result.undone.annotationId));
      setNotice(`Undid the ${result.undone.kind === 'add' ? 'new box' : result.undone.kind} of #${result.undone.annotationId}`);
      return result.undone.annotationId;
    });
  }, [client, run, sendPending, session, reviewer]);

  const latest = useCallback(() => current.current, []);
  return { annotations, latest, loading, error, notice, add, change, nudge, remove, undo, flush: sendPending };
}
