import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExportResult } from '../../shared/api.ts';
import { writeCsv } from './csv-write.ts';
import type { CatalogStore } from './store/catalog-store.ts';

/** Where an export goes when no folder is given. */
export const DEFAULT_EXPORT_DIR = 'export';

/**
 * Writes annotations.csv (current names; its image,name,side,x,y,w,h,theta columns import again as they
 * are) and decisions.csv (the whole log, undo entries included, each answer with its reviewer's accuracy
 * and the log-odds it weighs with in the evidence).
 */
export function exportCatalog(
  store: CatalogStore,
  outDir: string = join(store.root, DEFAULT_EXPORT_DIR),
  accuracyOf: (reviewer: string | null) => number = () => 0.95,
): ExportResult {
  const folder = resolve(outDir);
  mkdirSync(folder, { recursive: true });
  // One read transaction, so the two files describe the same moment even while a job writes.
  return store.snapshot(() => {
    const annotations = store.annotations.view().annotations;
    const annotationsCsv = join(folder, 'annotations.csv');
    writeCsv(
      annotationsCsv,
      ['annotation_id', 'image', 'name', 'side', 'x', 'y', 'w', 'h', 'theta'],
      annotations.map((a) => [a.id, a.image, a.name, a.side, a.box?.x, a.box?.y, a.box?.w, a.box?.h, a.box ? a.theta : null]),
    );
    const imageOf = new Map(annotations.map((a) => [a.id, a.image]));
    const decisions = store.decisions.list();
    const decisionsCsv = join(folder, 'decisions.csv');
    writeCsv(
      decisionsCsv,
      ['decision_id', 'created_at', 'reviewer', 'annotation_a', 'annotation_b', 'image_a', 'image_b', 'verdict', 'merge', 'undoes', 'undone_by', 'batch', 'accuracy', 'weight', 'note'],
      decisions.map((d) => {
        const answer = d.verdict === 'same' || d.verdict === 'different' || d.verdict === 'unsure';
        const accuracy = answer ? accuracyOf(d.reviewer) : null;
        // The log-odds one answer carries ("unsure" carries none).
        const weight = accuracy === null ? null : d.verdict === 'unsure' ? 0 : Math.log(accuracy / (1 - accuracy));
        return [d.id, d.createdAt, d.reviewer, d.a, d.b, imageOf.get(d.a), imageOf.get(d.b), d.verdict, d.merge, d.undoes, d.undoneBy, d.batch,
          accuracy === null ? null : +accuracy.toFixed(4), weight === null ? null : +weight.toFixed(3), d.note];
      }),
    );
    return {
      format: 'csv',
      folder,
      files: [annotationsCsv, decisionsCsv],
      annotationsCsv,
      decisionsCsv,
      annotations: annotations.length,
      decisions: decisions.length,
    };
  });
}
