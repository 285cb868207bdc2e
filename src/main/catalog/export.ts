import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExportResult } from '../../shared/api.ts';
import { writeCsv } from './csv-write.ts';
import type { CatalogStore } from './store/catalog-store.ts';

/** Where an export goes when no folder is given. */
export const DEFAULT_EXPORT_DIR = 'export';

/**
 * Writes annotations.csv (current names; its image,name,side,x,y,w,h,theta columns import again as they
 * are) and decisions.csv (the whole log, undo entries included).
 */
export function exportCatalog(store: CatalogStore, outDir: string = join(store.root, DEFAULT_EXPORT_DIR)): ExportResult {
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
      ['decision_id', 'created_at', 'reviewer', 'annotation_a', 'annotation_b', 'image_a', 'image_b', 'verdict', 'merge', 'undoes', 'undone_by', 'note'],
      decisions.map((d) => [d.id, d.createdAt, d.reviewer, d.a, d.b, imageOf.get(d.a), imageOf.get(d.b), d.verdict, d.merge, d.undoes, d.undoneBy, d.note]),
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
