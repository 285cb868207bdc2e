import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import writeXlsxFile from 'write-excel-file/node';
import type { ExportResult } from '../../shared/api.ts';
import { csvText, writeWhole } from '../catalog/csv-write.ts';
import { CatalogError } from '../catalog/errors.ts';
import { absolutePath } from '../catalog/layout.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import { exportFacts, someOf, type ExportedAnnotation } from './export-facts.ts';

/**
 * Wildbook's bulk-import sheet (WildMeOrg/wildbook-docs, docs/data/bulk-import-beta.md): one row per
 * encounter (here: per annotation, "a single annotation and related metadata"), with its photo as
 * Encounter.mediaAsset0, the individual's name as MarkedIndividual.individualID, date parts, position,
 * genus and specific epithet from the catalog's settings; the animals of one photo share an
 * Encounter.occurrenceID (a sighting). Written as .xlsx (what Wildbook's importer reads) and .csv, with
 * the photos under photos/ by the file names the sheet gives. Wildbook asks for at most about 200
 * encounters per import, so a larger catalog is written as several numbered sheets.
 */

export interface WildbookOptions {
  outDir: string;
  deployments?: string;
}

const ENCOUNTERS_PER_SHEET = 200;
export const SHEET_NAME = 'wildbook-bulk-import';

/** Wildbook keeps letters, digits, periods and spaces in file names and drops the rest: do it first, so the sheet matches. */
const cleanName = (name: string): string => name.replace(/[^A-Za-z0-9. ]+/g, ' ').replace(/\s+/g, ' ').trim() || 'photo';

/** A file name per photo, unique across the export: its own where that is unique, else with its folders. */
export function uploadNames(paths: readonly string[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const path of paths) count.set(cleanName(basename(path)).toLowerCase(), (count.get(cleanName(basename(path)).toLowerCase()) ?? 0) + 1);
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const path of paths) {
    const own = cleanName(basename(path));
    let name = count.get(own.toLowerCase())! > 1 ? cleanName(path.replaceAll('/', ' ')) : own;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = cleanName(`${n} ${own}`);
    taken.add(name.toLowerCase());
    names.set(path, name);
  }
  return names;
}

type Value = string | number | null;

function encounter(item: ExportedAnnotation, mediaAsset: string, genus: string, epithet: string | null): Record<string, Value> {
  const { annotation, photo, confirmation } = item;
  const [date, time = ''] = photo.capturedAt.split('T');
  const [year, month, day] = date.split('-').map(Number);
  const [hour, minutes] = time === '' ? [null, null] : time.slice(0, 5).split(':').map(Number);
  const position = photo.gps ?? { lat: photo.deployment.latitude, lon: photo.deployment.longitude };
  const box = annotation.box;
  const comments = [
    `pairx annotation ${annotation.id}`,
    box ? `box ${[box.x, box.y, box.w, box.h].map((v) => Math.round(v)).join(',')} px of the ${photo.width}x${photo.height} photo${annotation.theta ? `, theta ${annotation.theta}` : ''}` : 'the whole photo',
    annotation.side ? `viewpoint ${annotation.side}` : null,
    confirmation ? `identity confirmed${confirmation.reviewer ? ` by ${confirmation.reviewer}` : ''} on ${confirmation.at.slice(0, 10)}` : null,
  ];
  return {
    'Encounter.mediaAsset0': mediaAsset,
    'Encounter.genus': genus,
    'Encounter.specificEpithet': epithet,
    'MarkedIndividual.individualID': annotation.name,
    'Encounter.year': year,
    'Encounter.month': month,
    'Encounter.day': day,
    'Encounter.hour': hour,
    'Encounter.minutes': minutes,
    'Encounter.decimalLatitude': position.lat,
    'Encounter.decimalLongitude': position.lon,
    'Encounter.locationID': photo.deployment.locationID,
    'Encounter.verbatimLocality': photo.deployment.locationName,
    // A sighting: the animals of one photo. Restricted to letters, digits, - and _.
    'Encounter.occurrenceID': `pairx-${photo.sha256.slice(0, 12)}`,
    'Encounter.otherCatalogNumbers': `pairx-${annotation.id}`,
    'Encounter.researcherComments': comments.filter(Boolean).join('; '),
  };
}

/** Encounters in sheets of at most ENCOUNTERS_PER_SHEET, never splitting one photo's encounters. */
function sheets(rows: Record<string, Value>[]): Record<string, Value>[][] {
  const parts: Record<string, Value>[][] = [[]];
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    while (j < rows.length && rows[j]['Encounter.occurrenceID'] === rows[i]['Encounter.occurrenceID']) j++;
    if (parts[parts.length - 1].length + (j - i) > ENCOUNTERS_PER_SHEET && parts[parts.length - 1].length > 0) parts.push([]);
    parts[parts.length - 1].push(...rows.slice(i, j));
    i = j;
  }
  return parts;
}

export async function exportWildbook(store: CatalogStore, options: WildbookOptions): Promise<ExportResult> {
  const facts = exportFacts(store, { deployments: options.deployments, time: 'date' });
  const missing = facts.photos.filter((photo) => !existsSync(absolutePath(store.root, photo.path))).map((photo) => photo.path);
  if (missing.length > 0) throw new CatalogError(`${someOf(missing)} ${missing.length === 1 ? 'is' : 'are'} missing from the catalog folder: import again to find moved photos`);
  const names = uploadNames(facts.photos.map((photo) => photo.path));
  const rows = [...facts.annotations]
    .sort((a, b) => (a.photo.path < b.photo.path ? -1 : a.photo.path > b.photo.path ? 1 : a.annotation.id - b.annotation.id))
    .map((item) => encounter(item, names.get(item.photo.path)!, facts.settings.genus!, facts.settings.specificEpithet));
  // Wildbook asks for columns without data to be left out.
  const columns = Object.keys(rows[0]).filter((column) => rows.some((row) => row[column] !== null));

  const folder = options.outDir;
  const photosDir = join(folder, 'photos');
  mkdirSync(photosDir, { recursive: true });
  for (const photo of facts.photos) {
    const target = join(photosDir, names.get(photo.path)!);
    rmSync(target, { force: true });
    try {
      linkSync(absolutePath(store.root, photo.path), target);
    } catch {
      copyFileSync(absolutePath(store.root, photo.path), target);
    }
  }
  const parts = sheets(rows);
  const files: string[] = [];
  for (const [index, part] of parts.entries()) {
    const stem = join(folder, parts.length === 1 ? SHEET_NAME : `${SHEET_NAME}-${index + 1}`);
    const cells = part.map((row) => columns.map((column) => row[column]));
    const xlsx = await writeXlsxFile([columns, ...cells.map((row) => row.map((value) => value ?? null))]).toBuffer();
    writeWhole(`${stem}.xlsx`, xlsx);
    writeWhole(`${stem}.csv`, csvText(columns, cells));
    files.push(`${stem}.xlsx`, `${stem}.csv`);
  }
  return {
    format: 'wildbook',
    folder,
    files,
    annotations: rows.length,
    decisions: facts.decisions.length,
    media: facts.photos.length,
    deployments: facts.deployments.length,
    notes: [
      `upload the photos in ${photosDir}, then the sheet${parts.length > 1 ? 's, one import each' : ''}`,
      ...(parts.length > 1 ? [`${rows.length} encounters in ${parts.length} sheets of at most ${ENCOUNTERS_PER_SHEET} (Wildbook's advice), one photo's encounters kept together`] : []),
    ],
  };
}
