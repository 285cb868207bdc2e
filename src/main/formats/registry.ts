import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AnnotationRows } from '../catalog/annotation-rows.ts';
import { CatalogError } from '../catalog/errors.ts';
import { relativeInside } from '../paths.ts';
import { cocoReader } from './coco.ts';
import { megadetectorReader } from './megadetector.ts';
import { pairxCsvReader } from './pairx-csv.ts';
import { photoPathResolver, photosByName } from './photo-paths.ts';
import { FileContent, type AnnotationReader, type ReaderContext } from './reader.ts';
import { wildlifeDatasetsReader } from './wildlife-datasets.ts';

/**
 * Every annotation format the import recognises, in order of priority: the first reader that accepts a
 * file's content reads it. Adding a format is one reader file and one entry here.
 */
export const ANNOTATION_READERS: readonly AnnotationReader[] = [pairxCsvReader, cocoReader, wildlifeDatasetsReader, megadetectorReader];

const quoted = (names: string[]): string => names.map((name) => `"${name}"`).join(', ') || 'none';

/** One line saying what a file no reader accepts looks like, and what would have been read. */
function unrecognised(name: string, content: FileContent): string {
  if (content.text.trim() === '') return `${name} is empty; it needs a header line with an "image" column`;
  if (content.looksLikeJson) {
    const error = content.jsonError();
    if (error !== null) return `${name} is not valid JSON: ${error}`;
    const json = content.json();
    const keys = json !== null && typeof json === 'object' && !Array.isArray(json) ? Object.keys(json) : [];
    return `${name} is JSON of no format pairx reads (a COCO file has "images" and "annotations" lists; its keys: ${quoted(keys)})`;
  }
  const header = content.csvHeader();
  if (!header) return `${name} is not a readable CSV file: ${content.csvError() ?? 'no records'}`;
  return `${name} has no "image" column (its columns: ${quoted(header)}), nor "identity" and "path" as wildlife-datasets metadata has`;
}

/** The reader for a file's content, by content alone (never by its extension). */
export function detectReader(name: string, content: FileContent): AnnotationReader {
  const reader = ANNOTATION_READERS.find((candidate) => candidate.accepts(content));
  if (!reader) throw new CatalogError(unrecognised(name, content));
  return reader;
}

/**
 * Reads annotation files for an import of `folder` into `root`'s catalog, each in the format its
 * content shows. Throws (one line naming the file) when a file cannot serve at all, before any photo is
 * touched.
 */
export function readAnnotationFiles(root: string, folder: string, files: readonly string[]): AnnotationRows[] {
  let photoIndex: Map<string, string[]> | undefined;
  return files.map((given) => {
    const path = resolve(given);
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
      photosNamed: (fileName) => (photoIndex ??= photosByName(root, folder)).get(fileName) ?? [],
    };
    return detectReader(name, content).read(content, context);
  });
}
