import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Box, Issue } from '../../shared/api.ts';
import { CatalogError } from './errors.ts';
import { relativeInside } from '../paths.ts';

/** One usable CSV row; the photo's size is not known yet, so a box may still be fractional. */
export interface CsvAnnotation {
  /** Line in the CSV file (header = 1), for messages. */
  line: number;
  /** The photo, relative to the catalog root. */
  path: string;
  name: string | null;
  side: string | null;
  box: Box | null;
  /** All four box values are ≤ 1: fractions of the photo's width and height. */
  fractional: boolean;
  theta: number;
}

export interface CsvAnnotations {
  /** How messages name the CSV file. */
  file: string;
  rows: CsvAnnotation[];
  /** Every photo a row names, usable or not: the CSV, not the import, decides their annotations. */
  mentioned: Set<string>;
  issues: Issue[];
}

const BOX_COLUMNS = ['x', 'y', 'w', 'h'] as const;

function parseNumber(text: string): number | null {
  if (text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : Number.NaN;
}

/**
 * Reads an annotation CSV: `image` (required) and optionally `name`, `side` or `viewpoint`, `x,y,w,h`
 * and `theta`. Image paths are relative to `baseFolder` (the folder being imported) or absolute.
 * A file that cannot serve at all (no `image` column, half a box's columns) is refused; a bad row
 * becomes an issue and the other rows still count.
 */
export function readAnnotationsCsv(csvFile: string, root: string, baseFolder: string): CsvAnnotations {
  const file = relativeInside(root, csvFile) ?? csvFile;
  let text: string;
  try {
    text = readFileSync(csvFile, 'utf8');
  } catch (error) {
    throw new CatalogError(`cannot read ${csvFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With `info`, each record comes with the line it ends on (csv-parse's types do not model that option).
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as unknown as typeof records;
  } catch (error) {
    throw new CatalogError(`${file} is not a readable CSV file: ${(error as Error).message}`);
  }
  if (records.length === 0) throw new CatalogError(`${file} is empty; it needs a header line with an "image" column`);

  const header = records[0].record.map((name) => name.trim().toLowerCase());
  const column = (name: string): number => header.indexOf(name);
  if (column('image') < 0) {
    throw new CatalogError(`${file} has no "image" column (its columns: ${header.map((name) => `"${name}"`).join(', ') || 'none'})`);
  }
  const boxColumns = BOX_COLUMNS.map(column);
  const presentBox = BOX_COLUMNS.filter((_, i) => boxColumns[i] >= 0);
  if (presentBox.length > 0 && presentBox.length < 4) {
    throw new CatalogError(`${file} has box columns ${presentBox.join(', ')} but not all of x, y, w, h`);
  }
  const sideColumn = column('side') >= 0 ? column('side') : column('viewpoint');

  const rows: CsvAnnotation[] = [];
  const mentioned = new Set<string>();
  const issues: Issue[] = [];
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    const cell = (index: number): string => (index >= 0 ? (record[index] ?? '').trim() : '');
    const problem = (message: string) => issues.push({ file, row: line, message });

    const image = cell(column('image')).replaceAll('\\', '/');
    if (image === '') {
      problem('no image given');
      continue;
    }
    const path = relativeInside(root, isAbsolute(image) ? image : resolve(baseFolder, image));
    if (path === null || path === '') {
      problem(`${image} is outside the catalog folder ${root}`);
      continue;
    }
    mentioned.add(path);

    let box: Box | null = null;
    let fractional = false;
    if (presentBox.length === 4) {
      const values = boxColumns.map((index) => parseNumber(cell(index)));
      if (values.every((value) => value === null)) box = null;
      else if (values.some((value) => value === null)) {
        problem('incomplete box: give all of x, y, w, h or none');
        continue;
      } else if (values.some((value) => Number.isNaN(value))) {
        problem(`box is not numeric (${boxColumns.map(cell).join(', ')})`);
        continue;
      } else {
        const [x, y, w, h] = values as number[];
        if (w <= 0 || h <= 0) {
          problem(`box has no area (w ${w}, h ${h})`);
          continue;
        }
        box = { x, y, w, h };
        fractional = values.every((value) => value! <= 1);
      }
    }

    const thetaValue = parseNumber(cell(column('theta')));
    if (Number.isNaN(thetaValue)) {
      problem(`theta is not a number (${cell(column('theta'))})`);
      continue;
    }
    let theta = thetaValue ?? 0;
    if (theta !== 0 && box === null) {
      problem('theta without a box is ignored (the whole photo is used upright)');
      theta = 0;
    }

    rows.push({
      line,
      path,
      name: cell(column('name')) || null,
      side: cell(sideColumn).toLowerCase() || null,
      box,
      fractional,
      theta,
    });
  }
  return { file, rows, mentioned, issues };
}
