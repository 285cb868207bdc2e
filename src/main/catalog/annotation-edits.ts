import type { Box } from '../../shared/api.ts';
import { CatalogError, NotFoundError } from './errors.ts';
import type { AnnotationEditRecord, AnnotationState, EditOrigin } from './store/annotation-edits.ts';
import type { AnnotationRecord } from './store/annotations.ts';
import type { CatalogStore } from './store/catalog-store.ts';
import type { ImageRecord } from './store/images.ts';

/**
 * Annotation edits: boxes a person draws, moves, resizes, rotates or deletes in the photo view, and the
 * side they set. Each edit is one transaction that changes the annotation and appends to the edit
 * history (store/annotation-edits.ts), so an undo restores exactly the state before. A deleted
 * annotation keeps its row with a deletion mark (the decision log may name it); its decisions stay,
 * as they do when a box changes: they are about the animal. What was computed from the old pixels
 * goes: its vectors under every model (the embedding job computes them again), its edges in the
 * neighbour graphs (replaced, not added to, when the new vector comes) and its stored pair scores.
 */

/** Boxes may overshoot the photo by rounding; more than this is refused. */
const BOX_TOLERANCE_PX = 1;
/** The smallest box side accepted: smaller is a click, not a box. */
export const MIN_BOX_PX = 4;
/** Sides and viewpoints are short words (left, right, front, back, left-front…). */
const MAX_SIDE_LENGTH = 40;

export interface EditBy {
  origin?: EditOrigin;
  /** The photo-view session whose Ctrl+Z may undo this edit. */
  session?: string | null;
  reviewer?: string | null;
}

export interface EditOutcome {
  annotation: AnnotationRecord;
  /** Its box or rotation changed, or it was deleted or restored: the pixels behind it changed. */
  pixelsChanged: boolean;
  edit: AnnotationEditRecord;
}

const stateOf = (annotation: AnnotationRecord): AnnotationState => ({
  box: annotation.box,
  theta: annotation.theta,
  side: annotation.side,
  deleted: annotation.deleted,
});

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;
const sameBox = (a: Box | null, b: Box | null): boolean =>
  a === null || b === null ? a === b : close(a.x, b.x) && close(a.y, b.y) && close(a.w, b.w) && close(a.h, b.h);
const sameShape = (a: AnnotationState, b: AnnotationState) => sameBox(a.box, b.box) && close(a.theta, b.theta);
const sameState = (a: AnnotationState, b: AnnotationState) => sameShape(a, b) && a.side === b.side && a.deleted === b.deleted;

/** A box in pixels inside the upright photo (overshoot by rounding clamped), or an error naming the photo. */
export function checkedBox(box: Box, image: Pick<ImageRecord, 'width' | 'height' | 'path'>): Box {
  const { width, height } = image;
  if (![box.x, box.y, box.w, box.h].every(Number.isFinite)) throw new CatalogError('a box needs finite numbers');
  const right = box.x + box.w;
  const bottom = box.y + box.h;
  if (box.x < -BOX_TOLERANCE_PX || box.y < -BOX_TOLERANCE_PX || right > width + BOX_TOLERANCE_PX || bottom > height + BOX_TOLERANCE_PX)
    throw new CatalogError(
      `box (x ${box.x.toFixed(1)}, y ${box.y.toFixed(1)}, w ${box.w.toFixed(1)}, h ${box.h.toFixed(1)}) reaches outside the ${width}×${height} photo ${image.path}`,
    );
  const x = Math.max(0, box.x);
  const y = Math.max(0, box.y);
  const clamped = { x, y, w: Math.min(width, right) - x, h: Math.min(height, bottom) - y };
  if (clamped.w < MIN_BOX_PX || clamped.h < MIN_BOX_PX)
    throw new CatalogError(`a box must be at least ${MIN_BOX_PX}×${MIN_BOX_PX} pixels (this one is ${clamped.w.toFixed(1)}×${clamped.h.toFixed(1)})`);
  return clamped;
}

/** theta in (-π, π], radians about the box centre. */
export function normalisedTheta(theta: number): number {
  if (!Number.isFinite(theta)) throw new CatalogError('theta must be a finite number of radians');
  let angle = theta % (2 * Math.PI);
  if (angle > Math.PI) angle -= 2 * Math.PI;
  if (angle <= -Math.PI) angle += 2 * Math.PI;
  return close(angle, 0) ? 0 : angle;
}

function checkedSide(side: string | null | undefined): string | null {
  const value = (side ?? '').trim().toLowerCase();
  if (value.length > MAX_SIDE_LENGTH) throw new CatalogError(`a side or viewpoint is a short word, not ${value.length} characters`);
  return value === '' ? null : value;
}

function liveAnnotation(store: CatalogStore, id: number): AnnotationRecord {
  const annotation = store.annotations.record(id);
  if (!annotation) throw new NotFoundError(`there is no annotation ${id}`);
  if (annotation.deleted) throw new NotFoundError(`annotation ${id} was deleted`);
  return annotation;
}

/**
 * Forgets what was computed from an annotation's pixels: its vectors under every model, its edges and
 * list in those models' neighbour graphs (and the lists of its neighbours, searched again), and its
 * stored pairs' similarity and plausibility. The caller holds the transaction.
 */
export function dropComputed(store: CatalogStore, annotationId: number): void {
  for (const model of store.embeddings.removeAnnotation(annotationId)) store.neighbours.forget(model.id, annotationId);
  store.pairs.forgetAnnotation(annotationId);
}

/** Brings an annotation to `target` (shape, side, deletion mark), dropping what its old pixels gave. */
function applyState(store: CatalogStore, annotation: AnnotationRecord, target: AnnotationState): boolean {
  const current = stateOf(annotation);
  const pixelsChanged = !sameShape(current, target) || current.deleted !== target.deleted;
  if (!sameShape(current, target)) store.annotations.setShape(annotation.id, target.box, target.theta);
  if (current.side !== target.side) store.annotations.setSide(annotation.id, target.side);
  if (current.deleted !== target.deleted) store.annotations.setDeleted(annotation.id, target.deleted);
  if (pixelsChanged) dropComputed(store, annotation.id);
  return pixelsChanged;
}

/** A new annotation drawn on a photo. */
export function addAnnotation(
  store: CatalogStore,
  args: { imageId: number; box: Box; theta?: number; side?: string | null } & EditBy,
): EditOutcome {
  return store.transaction(() => {
    const image = store.images.byId(args.imageId);
    if (!image) throw new NotFoundError(`there is no photo ${args.imageId}`);
    const state: AnnotationState = {
      box: checkedBox(args.box, image),
      theta: normalisedTheta(args.theta ?? 0),
      side: checkedSide(args.side),
      deleted: false,
    };
    const annotation = store.annotations.insert({
      imageId: image.id,
      box: state.box,
      theta: state.theta,
      side: state.side,
      individualId: null,
      source: args.origin === 'import' ? 'import' : 'drawn',
    });
    const edit = store.annotationEdits.append({
      annotationId: annotation.id,
      kind: 'add',
      origin: args.origin ?? 'person',
      before: null,
      after: state,
      session: args.session ?? null,
      reviewer: args.reviewer ?? null,
      undoes: null,
    });
    return { annotation, pixelsChanged: true, edit };
  });
}

/** A box moved, resized or rotated, or the side set (null: unknown); what is not given stays. */
export function changeAnnotation(
  store: CatalogStore,
  args: { id: number; box?: Box; theta?: number; side?: string | null } & EditBy,
): EditOutcome {
  return store.transaction(() => {
    const annotation = liveAnnotation(store, args.id);
    const image = store.images.byId(annotation.imageId)!;
    const before = stateOf(annotation);
    const after: AnnotationState = {
      box: args.box === undefined ? before.box : checkedBox(args.box, image),
      theta: args.theta === undefined ? before.theta : normalisedTheta(args.theta),
      side: args.side === undefined ? before.side : checkedSide(args.side),
      deleted: false,
    };
    if (after.box === null && after.theta !== 0) throw new CatalogError('a whole-photo annotation cannot be rotated; draw a box first');
    const pixelsChanged = applyState(store, annotation, after);
    const edit = store.annotationEdits.append({
      annotationId: annotation.id,
      kind: 'change',
      origin: args.origin ?? 'person',
      before,
      after,
      session: args.session ?? null,
      reviewer: args.reviewer ?? null,
      undoes: null,
    });
    return { annotation: store.annotations.record(annotation.id)!, pixelsChanged, edit };
  });
}

/** Marks an annotation deleted: it leaves every listing and the review queue; its decisions stay in the log. */
export function deleteAnnotation(store: CatalogStore, args: { id: number } & EditBy): EditOutcome {
  return store.transaction(() => {
    const annotation = liveAnnotation(store, args.id);
    const before = stateOf(annotation);
    const after = { ...before, deleted: true };
    applyState(store, annotation, after);
    const edit = store.annotationEdits.append({
      annotationId: annotation.id,
      kind: 'delete',
      origin: args.origin ?? 'person',
      before,
      after,
      session: args.session ?? null,
      reviewer: args.reviewer ?? null,
      undoes: null,
    });
    return { annotation: store.annotations.record(annotation.id)!, pixelsChanged: true, edit };
  });
}

/**
 * Takes back the newest edit of a photo-view session that is still in force, by appending an undo
 * entry. Refused (nothing written) when the annotation was changed since by something else.
 */
export function undoAnnotationEdit(store: CatalogStore, session: string, reviewer?: string | null): EditOutcome & { undone: AnnotationEditRecord } {
  return store.transaction(() => {
    const undone = store.annotationEdits.lastUndoable(session);
    if (!undone) throw new CatalogError('there is no box edit to undo in this photo view');
    const annotation = store.annotations.record(undone.annotationId)!;
    const current = stateOf(annotation);
    if (!sameState(current, undone.after))
      throw new CatalogError(`annotation ${annotation.id} was changed elsewhere since this edit; nothing undone`, 'conflict');
    const target = undone.kind === 'add' ? { ...undone.after, deleted: true } : undone.before!;
    const pixelsChanged = applyState(store, annotation, target);
    const edit = store.annotationEdits.append({
      annotationId: annotation.id,
      kind: 'undo',
      origin: 'person',
      before: current,
      after: target,
      session,
      reviewer: reviewer ?? null,
      undoes: undone.id,
    });
    return { annotation: store.annotations.record(annotation.id)!, pixelsChanged, edit, undone };
  });
}
