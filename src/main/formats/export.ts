import { join, resolve } from 'node:path';
import type { ApiParsedArgs, ExportResult } from '../../shared/api.ts';
import { DEFAULT_EXPORT_DIR, exportCatalog } from '../catalog/export.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import { exportCamtrapDp } from './camtrap-dp/package.ts';
import { exportWildbook } from './wildbook.ts';

/**
 * `catalog.export` in each format: this project's CSV (annotations and the decision log, which import
 * again), a Camtrap DP package for GBIF, Wildbook's bulk-import sheet. Each stops with one line, having
 * written nothing, where the catalog lacks a value the format requires.
 */
export async function exportAs(
  store: CatalogStore,
  args: ApiParsedArgs<'catalog.export'>,
  /** The accuracy each reviewer's answers weigh with (the decision log carries it). */
  accuracyOf?: (reviewer: string | null) => number,
): Promise<ExportResult> {
  const outDir = resolve(args.outDir ?? (args.format === 'csv' ? join(store.root, DEFAULT_EXPORT_DIR) : join(store.root, DEFAULT_EXPORT_DIR, args.format)));
  switch (args.format) {
    case 'csv':
      return exportCatalog(store, outDir, accuracyOf);
    case 'camtrap-dp':
      return exportCamtrapDp(store, { outDir, deployments: args.deployments, utcOffset: args.utcOffset, mediaUrl: args.mediaUrl });
    case 'wildbook':
      return exportWildbook(store, { outDir, deployments: args.deployments });
  }
}
