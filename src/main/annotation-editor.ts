import type { Annotation, ApiArgs, ApiResult } from '../shared/api.ts';
import { addAnnotation, changeAnnotation, deleteAnnotation, undoAnnotationEdit, type EditOutcome } from './catalog/annotation-edits.ts';
import type { CatalogStore } from './catalog/store/catalog-store.ts';

export interface EditorHooks {
  /** Drops an annotation's cached explanations and views (its pixels changed). */
  forget: (annotationId: number) => void;
  /** Embeds every annotation without a vector with the active model, and updates the neighbour graph. */
  embed: () => Promise<unknown>;
  /** Whether edits are embedded again in the background: in a window, where the workbench lives on. */
  background: () => boolean;
  /** An annotation's pixels changed (deleted, brought back, a new box): who is who is derived again around it. */
  membershipChanged: (annotationId: number) => void;
}

/**
 * Box edits as the fronts see them: catalog/annotation-edits.ts changes the catalog (and drops the
 * vectors, graph edges and pair scores of the old pixels); this drops the explanations cached for
 * them and, in a window, embeds what the edits left without a vector in the background, one run for any
 * number of edits made while the last one ran. The review queue waits for it (`settled`); from the CLI
 * the next `pairx catalog embed` picks the edited annotations up.
 */
export class AnnotationEditor {
  private reembedding: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly store: CatalogStore,
    private readonly hooks: EditorHooks,
  ) {}

  add({ imageId, box, theta, side, session, reviewer }: ApiArgs<'annotations.add'>): Annotation {
    return this.after(addAnnotation(this.store, { imageId, box, theta, side, session, reviewer }))!;
  }

  update({ id, box, theta, side, session, reviewer }: ApiArgs<'annotations.update'>): Annotation {
    return this.after(changeAnnotation(this.store, { id, box, theta, side, session, reviewer }))!;
  }

  delete({ id, session, reviewer }: ApiArgs<'annotations.delete'>): { id: number } {
    this.after(deleteAnnotation(this.store, { id, session, reviewer }));
    return { id };
  }

  undo({ session, reviewer }: ApiArgs<'annotations.undo'>): ApiResult<'annotations.undo'> {
    const outcome = undoAnnotationEdit(this.store, session, reviewer);
    const { undone } = outcome;
    return {
      undone: { id: undone.id, annotationId: undone.annotationId, kind: undone.kind, session: undone.session, createdAt: undone.createdAt },
      annotation: this.after(outcome),
    };
  }

  /** Resolves once the edited annotations have their vectors again (at once when nothing runs). */
  async settled(): Promise<void> {
    await this.reembedding;
  }

  /** The annotation as the fronts see it after an edit, or null when it is deleted. */
  private after(outcome: EditOutcome): Annotation | null {
    if (outcome.pixelsChanged) {
      // Deleted or brought back, the annotation leaves or rejoins who is who; a new box is the same animal.
      this.hooks.membershipChanged(outcome.annotation.id);
      this.hooks.forget(outcome.annotation.id);
      this.reembed();
    }
    if (outcome.annotation.deleted) return null;
    return this.store.annotations.view({ ids: [outcome.annotation.id] }).annotations[0];
  }

  private reembed(): void {
    if (!this.hooks.background() || this.store.db.readonly) return;
    if (!this.store.embeddings.latestUsedModel()) return; // never embedded: nothing to keep up to date
    if (this.reembedding) {
      this.again = true;
      return;
    }
    this.reembedding = (async () => {
      do {
        this.again = false;
        try {
          await this.hooks.embed();
        } catch {
          // no model can embed here: the annotation waits for the next embedding job, which reports why
        }
      } while (this.again && this.hooks.background());
    })().finally(() => (this.reembedding = null));
  }
}
