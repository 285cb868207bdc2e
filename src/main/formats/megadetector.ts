import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Issue } from '../../shared/api.ts';
import type { DetectedPhoto, DetectionRow, DetectionRows } from '../catalog/detection-rows.ts';
import { CatalogError } from '../catalog/errors.ts';
import { absolutePath } from '../catalog/layout.ts';
import { relativeInside } from '../paths.ts';
import { photoPathResolver, photosByName } from './photo-paths.ts';
import { FileContent, type AnnotationReader, type ReaderContext } from './reader.ts';

/**
 * MegaDetector's batch output (agentmorris/MegaDetector `megadetector-output-format.md`; written by
 * MegaDetector, AddaxAI, read by Timelapse; ../shared/docs/FORMATS.md): `info.format_version` 1.0-1.6,
 * `detection_categories` (id → name; matched on the name "animal", never on the id), `images[]` with
 * `file`, `detections[]` of `category`, `conf` and `bbox` = [x, y, w, h] in fractions of the image, or a
 * `failure`. Animal detections at or above the threshold become rows (the default threshold is the
 * file's `typical_detection_threshold`, else 0.2); the rest is counted for the import's report.
 *
 * A file that cannot serve is refused whole, with one line, before any photo is touched: not
 * MegaDetector output, a format version outside 1.0-1.6, a box outside 0..1, a path outside the
 * catalog, or none of its photos under the imported folder (a file written for other photos).
 */

/** The format versions this reader knows (1.0 through 1.6: the fields it reads are the same in all). */
const KNOWN_VERSIONS = { major: 1, minorMax: 6 };
/** MegaDetector v5's typical threshold, and what MegaDetector's own tools assume when a file has none. */
export const DEFAULT_THRESHOLD = 0.2;
/** x + w and y + h may overshoot 1 by MegaDetector's rounding to four decimals. */
const ROUNDING = 1e-3;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Whether JSON has MegaDetector's shape: `images` whose records have `file`, and `detection_categories`. */
export function looksLikeMegaDetector(json: unknown): boolean {
  if (!isObject(json) || !Array.isArray(json.images) || !isObject(json.detection_categories)) return false;
  return json.images.length === 0 || (isObject(json.images[0]) && 'file' in json.images[0]);
}

/** "1.4" from a string or an old numeric version; null when it is not a version at all. */
function versionOf(raw: unknown): { text: string; major: number; minor: number } | null {
  const text = typeof raw === 'number' ? (Number.isInteger(raw) ? raw.toFixed(1) : String(raw)) : typeof raw === 'string' ? raw.trim() : '';
  const match = /^(\d+)(?:\.(\d+))?(?:\.\d+)*$/.exec(text);
  return match ? { text, major: Number(match[1]), minor: Number(match[2] ?? 0) } : null;
}

/** The rows of a MegaDetector file; `threshold` overrides the file's own. */
export function readMegaDetector(content: FileContent, context: ReaderContext, threshold?: number): DetectionRows {
  const name = context.name;
  const json = content.json();
  if (json === undefined) {
    const error = content.jsonError();
    throw new CatalogError(error ? `${name} is not valid JSON (${error}), so not MegaDetector batch output` : `${name} is not MegaDetector batch output (it is not JSON)`);
  }
  if (!isObject(json)) throw new CatalogError(`${name} is not MegaDetector batch output (a JSON ${Array.isArray(json) ? 'list' : typeof json}, not an object)`);
  if (!Array.isArray(json.images)) throw new CatalogError(`${name} is not MegaDetector batch output: it has no "images" list`);
  if (!isObject(json.detection_categories)) throw new CatalogError(`${name} is not MegaDetector batch output: it has no "detection_categories"`);
  const info = isObject(json.info) ? json.info : {};
  const version = versionOf(info.format_version);
  if (!version)
    throw new CatalogError(
      `${name} has no readable info.format_version (${JSON.stringify(info.format_version ?? null)}); pairx reads MegaDetector format versions 1.0-1.${KNOWN_VERSIONS.minorMax}`,
    );
  if (version.major !== KNOWN_VERSIONS.major || version.minor > KNOWN_VERSIONS.minorMax)
    throw new CatalogError(`${name} is MegaDetector format version ${version.text}; pairx reads versions 1.0-1.${KNOWN_VERSIONS.minorMax}`);

  const categories = new Map(Object.entries(json.detection_categories).map(([id, label]) => [id, String(label).trim().toLowerCase()]));
  const animal = [...categories].filter(([, label]) => label === 'animal').map(([id]) => id);
  if (animal.length === 0)
    throw new CatalogError(`${name} has no detection category named "animal" (its categories: ${[...categories.values()].map((c) => `"${c}"`).join(', ') || 'none'})`);

  const metadata = isObject(info.detector_metadata) ? info.detector_metadata : {};
  const typical = metadata.typical_detection_threshold;
  const cut = threshold ?? (typeof typical === 'number' && typical >= 0 && typical <= 1 ? typical : DEFAULT_THRESHOLD);

  const rows: DetectionRow[] = [];
  const photos = new Map<string, DetectedPhoto>();
  const issues: Issue[] = [];
  json.images.forEach((record: unknown, index: number) => {
    const label = `images[${index}]`;
    if (!isObject(record) || typeof record.file !== 'string' || record.file.trim() === '')
      throw new CatalogError(`${name}: ${label} has no "file"`);
    const resolved = context.photoPath(record.file);
    if ('problem' in resolved) throw new CatalogError(`${name}: ${label} names ${record.file}, which ${resolved.problem.replace(/^.* is outside/, 'is outside')}`);
    const { path } = resolved;
    const where = `${label} (${record.file})`;
    const detections: unknown = record.detections ?? [];
    if (!Array.isArray(detections)) throw new CatalogError(`${name}: ${where} has "detections" that is not a list`);
    // Every box is checked, whichever its category: a box outside the image means the file is broken.
    const checked = detections.map((detection: unknown, d: number) => {
      if (!isObject(detection)) throw new CatalogError(`${name}: ${where}, detection ${d} is not an object`);
      const category = String(detection.category);
      if (!categories.has(category)) throw new CatalogError(`${name}: ${where}, detection ${d} has category "${category}", which detection_categories does not list`);
      const conf = detection.conf;
      if (typeof conf !== 'number' || !(conf >= 0 && conf <= 1)) throw new CatalogError(`${name}: ${where}, detection ${d} has confidence ${JSON.stringify(conf)}, not a number in 0..1`);
      const bbox = detection.bbox;
      if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number' && Number.isFinite(v)))
        throw new CatalogError(`${name}: ${where}, detection ${d} has bbox ${JSON.stringify(bbox)}, not [x, y, width, height]`);
      const [x, y, w, h] = bbox as number[];
      if (x < 0 || y < 0 || w < 0 || h < 0 || x > 1 || y > 1 || w > 1 || h > 1 || x + w > 1 + ROUNDING || y + h > 1 + ROUNDING)
        throw new CatalogError(`${name}: ${where}, detection ${d} has a box outside 0..1 ([${bbox.join(', ')}]); MegaDetector boxes are fractions of the image`);
      return { category, conf, box: { x, y, w: Math.min(w, 1 - x), h: Math.min(h, 1 - y) }, d };
    });
    if (photos.has(path)) {
      issues.push({ file: name, message: `${where}: a second record of ${path}; only the first is read` });
      return;
    }
    if ('frames_processed' in record || checked.some((_, d) => isObject(detections[d]) && 'frame_number' in (detections[d] as object))) {
      issues.push({ file: path, message: `${name} ${where} is a video's; videos are not imported` });
      return;
    }
    const failure = typeof record.failure === 'string' && record.failure !== '' ? record.failure : null;
    const photo: DetectedPhoto = { label, failure, belowThreshold: 0, otherCategories: 0 };
    photos.set(path, photo);
    if (failure) {
      issues.push({ file: path, message: `MegaDetector could not process this photo (${failure}, in ${name} ${label})` });
      return;
    }
    for (const { category, conf, box, d } of checked) {
      if (!animal.includes(category)) photo.otherCategories++;
      else if (conf < cut) photo.belowThreshold++;
      else if (box.w <= 0 || box.h <= 0) issues.push({ file: path, message: `${name} ${where}, detection ${d}: a box without area; left out` });
      else
        rows.push({
          label: `${label}.detections[${d}]`,
          path,
          name: null,
          side: null,
          box,
          units: 'fractions',
          referenceSize: null,
          theta: 0,
          capturedAt: null,
          gps: null,
          conf,
        });
    }
  });

  const paths = [...photos.keys()];
  if (paths.length > 0 && !paths.some((path) => existsSync(absolutePath(context.root, path))))
    throw new CatalogError(
      `${name} describes none of the photos under ${context.folder} (its first: ${json.images[0] && isObject(json.images[0]) ? json.images[0].file : paths[0]}); was it written for another folder?`,
    );
  return {
    file: name,
    format: 'megadetector',
    rows,
    described: new Set(paths),
    issues,
    detector: { formatVersion: version.text, threshold: cut, photos },
  };
}

export const megadetectorReader: AnnotationReader = {
  format: 'megadetector',
  label: 'MegaDetector batch output (JSON)',
  accepts: (content) => looksLikeMegaDetector(content.json()),
  read: (content, context) => readMegaDetector(content, context),
};

/**
 * Reads a file given as a detector's output (`--detections`): refused with one line when it is not
 * MegaDetector batch output, whatever else it is. Paths in it are relative to the imported folder (as
 * MegaDetector writes them, relative to the folder it ran on), else to the file's own folder.
 */
export function readDetectionsFile(root: string, folder: string, file: string, threshold?: number): DetectionRows {
  const path = resolve(file);
  const name = relativeInside(root, path) || path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CatalogError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const content = new FileContent(text);
  const context: ReaderContext = {
    root,
    folder,
    path,
    name,
    photoPath: photoPathResolver(root, folder, path),
    photosNamed: (fileName) => photosByName(root, folder).get(fileName) ?? [],
  };
  if (content.json() !== undefined && !looksLikeMegaDetector(content.json())) {
    const json = content.json();
    const keys = isObject(json) ? Object.keys(json).map((key) => `"${key}"`).join(', ') : 'none';
    throw new CatalogError(`${name} is not MegaDetector batch output (it needs "images" and "detection_categories"; its keys: ${keys})`);
  }
  return readMegaDetector(content, context, threshold);
}
