import { existsSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { ExportResult } from '../../../shared/api.ts';
import { csvText, writeWhole, type Cell } from '../../catalog/csv-write.ts';
import { CatalogError } from '../../catalog/errors.ts';
import { absolutePath } from '../../catalog/layout.ts';
import type { CatalogStore } from '../../catalog/store/catalog-store.ts';
import { PairxError } from '../../errors.ts';
import { exportFacts, instant, someOf, type ExportedAnnotation, type ExportedPhoto } from '../export-facts.ts';
import { packagedPath, packPhotos, publishedPath } from '../media-files.ts';
import { scientificName } from '../publishing-settings.ts';
import { buildDescriptor, checkDescriptor, isoSeconds } from './descriptor.ts';
import { checkTables, type TableSchema } from './table-check.ts';
import deploymentsSchema from './schemas-1.0.2/deployments-table-schema.json' with { type: 'json' };
import mediaSchema from './schemas-1.0.2/media-table-schema.json' with { type: 'json' };
import observationsSchema from './schemas-1.0.2/observations-table-schema.json' with { type: 'json' };

/**
 * A Camtrap DP 1.0 package (profile 1.0.2) of the catalog: deployments.csv, media.csv, observations.csv
 * (one media-level `animal` observation per annotation) and datapackage.json, checked against the
 * standard's table schemas and profile before a file is written.
 */

export interface CamtrapDpOptions {
  outDir: string;
  deployments?: string;
  utcOffset?: string;
  /** Published address of the catalog's photos; without it the photos are carried in the package. */
  mediaUrl?: string;
}

const SCHEMAS = {
  deployments: deploymentsSchema as TableSchema,
  media: mediaSchema as TableSchema,
  observations: observationsSchema as TableSchema,
};

const MEDIATYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.tif': 'image/tiff', '.tiff': 'image/tiff' };

/** A fraction of the photo, to a millionth (well under a pixel on any camera). */
const fraction = (value: number): number => Math.min(1, Math.max(0, Math.round(value * 1e6) / 1e6));

/** Media ids from the photo's content: the same photo has the same id in every export. */
const mediaId = (photo: ExportedPhoto): string => photo.sha256.slice(0, 16);

function observationRow(item: ExportedAnnotation, timestamp: string, name: string): Cell[] {
  const { annotation, photo, confirmation } = item;
  const box = annotation.box;
  const tags = [annotation.side ? `viewpoint:${annotation.side}` : null, box && annotation.theta !== 0 ? `theta:${annotation.theta}` : null].filter(Boolean);
  const identified = annotation.individualId !== null;
  // Camtrap DP's columns, in the schema's order.
  const row: Record<string, Cell> = {
    observationID: `obs-${annotation.id}`,
    deploymentID: photo.deployment.deploymentID,
    mediaID: mediaId(photo),
    eventStart: timestamp,
    eventEnd: timestamp,
    observationLevel: 'media',
    observationType: 'animal',
    scientificName: name,
    count: 1,
    individualID: annotation.name,
    bboxX: box ? fraction(box.x / photo.width) : null,
    bboxY: box ? fraction(box.y / photo.height) : null,
    bboxWidth: box ? fraction(box.w / photo.width) : null,
    bboxHeight: box ? fraction(box.h / photo.height) : null,
    // Every individual in a pairx catalog was given by a person: an imported name, a rename or a decision.
    classificationMethod: identified ? 'human' : null,
    classifiedBy: confirmation?.reviewer ?? null,
    classificationTimestamp: confirmation ? isoSeconds(new Date(confirmation.at)) : null,
    observationTags: tags.join('|') || null,
    observationComments: annotation.source === 'whole-image' ? 'the whole photo (no box drawn)' : null,
  };
  return SCHEMAS.observations.fields.map((field) => row[field.name] ?? null);
}

export function exportCamtrapDp(store: CatalogStore, options: CamtrapDpOptions): ExportResult {
  const facts = exportFacts(store, { deployments: options.deployments, utcOffset: options.utcOffset, time: 'instant' });
  const { settings } = facts;
  if (settings.samplingDesign === null || settings.captureMethod === null) {
    throw new CatalogError(
      "a Camtrap DP package names the project's sampling design and capture method: set them once with `pairx catalog settings --sampling-design opportunistic|targeted|simpleRandom|systematicRandom|clusteredRandom|experimental --capture-method activityDetection[,timeLapse]` (or in the export form)",
    );
  }
  if (facts.reviewers.length === 0) {
    throw new CatalogError('a Camtrap DP package names its contributors, and this catalog records no reviewer: set yours with `pairx catalog settings --reviewer NAME` (or in Settings)');
  }
  if (!options.mediaUrl) {
    const missing = facts.photos.filter((photo) => !existsSync(absolutePath(store.root, photo.path))).map((photo) => photo.path);
    if (missing.length > 0) throw new CatalogError(`${someOf(missing)} ${missing.length === 1 ? 'is' : 'are'} missing from the catalog folder: import again to find moved photos, or publish them elsewhere and give --media-url`);
  }
  const name = scientificName(settings)!;
  const timestamps = new Map(facts.photos.map((photo) => [photo.imageId, instant(photo, options.utcOffset)!]));

  const spans = facts.deployments.map((deployment) => {
    const times = facts.photos.filter((photo) => photo.deployment === deployment).map((photo) => timestamps.get(photo.imageId)!);
    times.sort((a, b) => Date.parse(a) - Date.parse(b));
    return { ...deployment, start: times[0], end: times[times.length - 1] };
  });
  const deploymentsCsv = csvText(
    SCHEMAS.deployments.fields.map((field) => field.name),
    spans.map((deployment) => {
      const row: Record<string, Cell> = {
        deploymentID: deployment.deploymentID,
        locationID: deployment.locationID,
        locationName: deployment.locationName ?? (deployment.folder || null),
        latitude: deployment.latitude,
        longitude: deployment.longitude,
        // The first and last photo: pairx knows when the camera took pictures, not when it was set up.
        deploymentStart: deployment.start,
        deploymentEnd: deployment.end,
        deploymentComments: `photos in ${deployment.folder || 'the catalog folder'}; start and end are its first and last photo`,
      };
      return SCHEMAS.deployments.fields.map((field) => row[field.name] ?? null);
    }),
  );
  const mediaCsv = csvText(
    SCHEMAS.media.fields.map((field) => field.name),
    facts.photos.map((photo) => {
      const row: Record<string, Cell> = {
        mediaID: mediaId(photo),
        deploymentID: photo.deployment.deploymentID,
        timestamp: timestamps.get(photo.imageId),
        filePath: options.mediaUrl ? publishedPath(options.mediaUrl, photo.path) : packagedPath(photo.path),
        filePublic: 'true',
        fileName: basename(photo.path),
        fileMediatype: MEDIATYPES[extname(photo.path).toLowerCase()] ?? 'image/jpeg',
      };
      return SCHEMAS.media.fields.map((field) => row[field.name] ?? null);
    }),
  );
  const observationsCsv = csvText(
    SCHEMAS.observations.fields.map((field) => field.name),
    facts.annotations.map((item) => observationRow(item, timestamps.get(item.photo.imageId)!, name)),
  );
  const descriptor = buildDescriptor({
    catalogName: basename(store.root),
    settings,
    scientificName: name,
    reviewers: facts.reviewers,
    deployments: spans,
    created: new Date(),
  });

  // The package is checked as it will be written, before anything is: an export never leaves a package
  // that the standard's rules refuse.
  const problems = [
    ...checkDescriptor(descriptor),
    ...checkTables([
      { schema: SCHEMAS.deployments, file: 'deployments.csv', text: deploymentsCsv },
      { schema: SCHEMAS.media, file: 'media.csv', text: mediaCsv },
      { schema: SCHEMAS.observations, file: 'observations.csv', text: observationsCsv },
    ]),
  ];
  if (problems.length > 0) throw new PairxError('internal', `the Camtrap DP package would not be valid, so nothing was written: ${problems.slice(0, 3).join('; ')}`);

  const folder = options.outDir;
  mkdirSync(folder, { recursive: true });
  if (!options.mediaUrl) packPhotos(store.root, folder, facts.photos.map((photo) => photo.path));
  const files = [join(folder, 'deployments.csv'), join(folder, 'media.csv'), join(folder, 'observations.csv'), join(folder, 'datapackage.json')];
  writeWhole(files[0], deploymentsCsv);
  writeWhole(files[1], mediaCsv);
  writeWhole(files[2], observationsCsv);
  // datapackage.json last: a reader that finds it finds the tables it describes.
  writeWhole(files[3], `${JSON.stringify(descriptor, null, 2)}\n`);
  return {
    format: 'camtrap-dp',
    folder,
    files,
    annotations: facts.annotations.length,
    decisions: facts.decisions.length,
    media: facts.photos.length,
    deployments: spans.length,
  };
}
