import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DetectionsSummary, ImportSummary, Issue } from '../../shared/api.ts';
import { readCaptureFacts } from '../imaging/capture-facts.ts';
import { openImage } from '../imaging/preprocess.ts';
import { removeAbandonedThumbnails, writeThumbnail } from '../imaging/thumbnail.ts';
import { processAlive } from '../jobs/process-alive.ts';
import { prepareInOrder, trackJob, type JobControls, type ProgressListener } from '../jobs/tracked-job.ts';
import type { AnnotationRows } from './annotation-rows.ts';
import { applyAnnotationRows } from './apply-annotations.ts';
import { applyDetections, type NamingRow } from './apply-detections.ts';
import { isDetectionRows } from './detection-rows.ts';
import { CatalogError } from './errors.ts';
import { relativeInside } from '../paths.ts';
import { THUMBS_DIR, absolutePath, thumbsDir } from './layout.ts';
import { scanPhotos, type ScannedFile } from './scan.ts';
import type { CatalogStore } from './store/catalog-store.ts';
import type { NewImage } from './store/images.ts';

export interface ImportOptions extends JobControls {
  /** Annotation files already read (src/main/formats reads them), applied in order after the photos. */
  annotations?: AnnotationRows[];
  /** Photos prepared at once: hashing, decoding and thumbnailing of one overlap the others' file reads. */
  concurrency?: number;
}

/** Facts of a new photo, gathered before its row is written. */
type PhotoFacts = Omit<NewImage, 'path' | 'sha256'>;

/** What reading one file found; `facts` is null when its content is already in the catalog. */
type Prepared = { kind: 'unchanged' } | { kind: 'failed'; issue: Issue } | { kind: 'photo'; sha256: string; facts: PhotoFacts | null };

/** The file's own name and message, without the absolute path sharp's errors start with. */
function photoProblem(file: ScannedFile, error: unknown): Issue {
  const message = (error as Error).message.split('\n')[0];
  return { file: file.path, message: message.startsWith(`${file.absolute}: `) ? message.slice(file.absolute.length + 2) : message };
}

async function describePhoto(file: ScannedFile, bytes: Buffer, sha256: string, thumbs: string): Promise<PhotoFacts> {
  // openImage refuses photos over the megapixel limit from their header, before anything is decoded.
  const image = await openImage(file.absolute);
  const metadata = await image.metadata();
  const upright = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
  const thumbnail = `${THUMBS_DIR}/${sha256}.jpg`;
  // Writing the thumbnail decodes the whole photo, which is also what finds truncated files. A
  // thumbnail already there was written (atomically) by an earlier run that did not get to commit.
  const thumbnailFile = join(thumbs, `${sha256}.jpg`);
  if (!existsSync(thumbnailFile)) {
    try {
      await writeThumbnail(image, thumbnailFile);
    } catch (error) {
      throw new Error(`cannot read image (${(error as Error).message.split('\n')[0]})`);
    }
  }
  return {
    width: upright.width,
    height: upright.height,
    orientation: metadata.orientation ?? null,
    ...(await readCaptureFacts(bytes)),
    thumbnail,
  };
}

/**
 * Imports the photos at or below `folder` (which must be inside the catalog folder) and, optionally,
 * the annotations of files already read into rows. Photos are identified by content: a copy of a known photo is not a new
 * image, and a known photo found at a new path while its old path is gone has moved. Unchanged files
 * (same path, size and mtime) are skipped without reading them. Each photo is committed on its own, so
 * a killed import keeps what it did and the next run resumes. Problems with single photos or rows are
 * reported as issues and never stop the import.
 */
export async function importFolder(store: CatalogStore, folder: string = store.root, options: ImportOptions = {}): Promise<ImportSummary> {
  const root = store.root;
  const absoluteFolder = resolve(folder);
  const folderPath = relativeInside(root, absoluteFolder);
  if (folderPath === null) {
    throw new CatalogError(`${absoluteFolder} is outside the catalog folder ${root}; move or copy the photos into it, then import`);
  }
  if (!existsSync(absoluteFolder) || !statSync(absoluteFolder).isDirectory()) throw new CatalogError(`${absoluteFolder} is not a folder`);
  const annotations = options.annotations ?? [];
  const params = { folder: folderPath, annotations: annotations.map((file) => ({ file: file.file, format: file.format })) };
  return trackJob(store.jobs, 'import', params, options, (report) => runImport(store, absoluteFolder, folderPath, annotations, options, report));
}

async function runImport(
  store: CatalogStore,
  absoluteFolder: string,
  folderPath: string,
  annotations: AnnotationRows[],
  options: ImportOptions,
  report: ProgressListener,
): Promise<ImportSummary> {
  const { signal } = options;
  const summary: ImportSummary = {
    scanned: 0,
    added: 0,
    unchanged: 0,
    moved: 0,
    duplicates: 0,
    failed: 0,
    annotationsAdded: 0,
    annotationsUpdated: 0,
    issues: annotations.flatMap((file) => file.issues),
    annotationFiles: annotations.map((file) => ({ file: file.file, format: file.format, rows: file.rows.length })),
    cancelled: false,
  };
  // Photos a file describes get their annotations from it, the others one whole-photo annotation each.
  const described = new Set(annotations.flatMap((file) => [...file.described]));
  const thumbs = thumbsDir(store.root);

  report({ phase: 'scan', done: 0, total: null });
  await removeAbandonedThumbnails(thumbs, processAlive);
  let files: ScannedFile[];
  try {
    files = await scanPhotos(store.root, absoluteFolder, signal);
  } catch (error) {
    if (signal?.aborted) return { ...summary, cancelled: true };
    throw error;
  }
  summary.scanned = files.length;
  const failedPaths = new Set<string>();
  let done = 0;
  report({ phase: 'images', done, total: files.length });

  // Reading, hashing, decoding and thumbnailing run for several photos at once; the rows are written
  // one photo at a time, in path order.
  const prepare = async (file: ScannedFile): Promise<Prepared> => {
    const known = store.images.file(file.path);
    if (known && known.size === file.size && known.mtimeMs === file.mtimeMs) return { kind: 'unchanged' };
    let bytes: Buffer;
    try {
      bytes = await readFile(file.absolute);
    } catch (error) {
      return { kind: 'failed', issue: { file: file.path, message: `cannot read file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` } };
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (store.images.byHash(sha256)) return { kind: 'photo', sha256, facts: null };
    try {
      return { kind: 'photo', sha256, facts: await describePhoto(file, bytes, sha256, thumbs) };
    } catch (error) {
      return { kind: 'failed', issue: photoProblem(file, error) };
    }
  };

  const commit = (file: ScannedFile, prepared: Prepared): void => {
    commitPhoto(file, prepared);
    report({ phase: 'images', done: ++done, total: files.length, item: file.path });
  };
  const commitPhoto = (file: ScannedFile, prepared: Prepared): void => {
    if (prepared.kind === 'unchanged') {
      summary.unchanged++;
      return;
    }
    if (prepared.kind === 'failed') {
      failedPaths.add(file.path);
      summary.issues.push(prepared.issue);
      summary.failed++;
      return;
    }
    const { sha256, facts } = prepared;
    store.transaction(() => {
      const known = store.images.file(file.path);
      // Looked up again: an earlier photo of this run may have had the same content.
      const existing = store.images.byHash(sha256);
      const fileRecord = { path: file.path, size: file.size, mtimeMs: file.mtimeMs };
      // The path held other content before (a photo overwritten in place): that image lost this copy.
      if (known && known.imageId !== existing?.id) repointAfterLoss(store, known.imageId, file.path);
      if (existing) {
        store.images.upsertFile({ ...fileRecord, imageId: existing.id });
        if (existing.path === file.path) summary.unchanged++;
        else if (!existsSync(absolutePath(store.root, existing.path))) {
          store.images.deleteFile(existing.path);
          store.images.setPath(existing.id, file.path);
          summary.moved++;
        } else summary.duplicates++;
        return;
      }
      const image = store.images.insert({ ...facts!, sha256, path: file.path });
      store.images.upsertFile({ ...fileRecord, imageId: image.id });
      if (!described.has(file.path)) summary.annotationsAdded += store.annotations.addWholeImageWhereMissing([image.id]);
      summary.added++;
    });
  };

  await prepareInOrder(files, options.concurrency ?? 4, signal, prepare, commit);
  if (signal?.aborted) return { ...summary, cancelled: true };

  summary.moved += forgetVanishedFiles(store, folderPath, new Set(files.map((file) => file.path)));

  // A detector's boxes first; rows of other files without a box, for photos a detector describes, name
  // its animal box (apply-detections.ts) instead of adding a whole-photo annotation.
  const detected = new Set(annotations.filter(isDetectionRows).flatMap((file) => [...file.described]));
  const names = (row: AnnotationRows['rows'][number]) => row.box === null && detected.has(row.path);
  const naming: NamingRow[] = annotations.filter((file) => !isDetectionRows(file)).flatMap((file) => file.rows.filter(names).map((row) => ({ file: file.file, row })));
  for (const file of annotations.filter(isDetectionRows)) {
    const applied = applyDetections(store, file, naming, { failedPaths, importedFolder: folderPath, signal, report });
    summary.annotationsAdded += applied.added;
    summary.annotationsUpdated += applied.updated;
    summary.issues.push(...applied.issues);
    summary.detections = summary.detections ? mergeDetections(summary.detections, applied.summary) : applied.summary;
    if (signal?.aborted) return { ...summary, cancelled: true };
  }
  for (const file of annotations.filter((file) => !isDetectionRows(file)).map((file) => ({ ...file, rows: file.rows.filter((row) => !names(row)) }))) {
    const applied = applyAnnotationRows(store, file, { failedPaths, importedFolder: folderPath, signal, report });
    summary.annotationsAdded += applied.added;
    summary.annotationsUpdated += applied.updated;
    summary.issues.push(...applied.issues);
    if (signal?.aborted) return { ...summary, cancelled: true };
  }
  return summary;
}

/** Two detector files in one import: one report. */
function mergeDetections(a: DetectionsSummary, b: DetectionsSummary): DetectionsSummary {
  return {
    file: `${a.file}, ${b.file}`,
    formatVersion: a.formatVersion === b.formatVersion ? a.formatVersion : `${a.formatVersion}, ${b.formatVersion}`,
    threshold: a.threshold,
    animalBoxes: a.animalBoxes + b.animalBoxes,
    belowThreshold: a.belowThreshold + b.belowThreshold,
    otherCategories: a.otherCategories + b.otherCategories,
    noAnimal: [...a.noAnimal, ...b.noAnimal],
    severalAnimals: [...a.severalAnimals, ...b.severalAnimals],
    failed: a.failed + b.failed,
  };
}

/**
 * Forgets file paths under the imported folder that the scan no longer found, and points each image
 * whose path vanished at another copy, if any (it moved). Returns how many images moved.
 */
function forgetVanishedFiles(store: CatalogStore, folderPath: string, scanned: Set<string>): number {
  return store.transaction(() => {
    const vanished = store.images.filesUnder(folderPath).filter((file) => !scanned.has(file.path));
    let moved = 0;
    for (const file of vanished) {
      store.images.deleteFile(file.path);
      if (repointAfterLoss(store, file.imageId, file.path)) moved++;
    }
    return moved;
  });
}

/**
 * An image no longer has its file at `lostPath`; if that was its path, point it at another known copy.
 * Without one it keeps the old path and counts as missing. Returns whether it was pointed elsewhere.
 */
function repointAfterLoss(store: CatalogStore, imageId: number, lostPath: string): boolean {
  const image = store.images.byId(imageId)!;
  if (image.path !== lostPath) return false;
  const copy = store.images.filesOf(imageId).find((file) => file.path !== lostPath);
  if (!copy) return false;
  store.images.setPath(imageId, copy.path);
  return true;
}
