import { parse } from 'csv-parse/sync';
import type { AnnotationRows } from '../catalog/annotation-rows.ts';

/** A record of a CSV file with the line it ends on (header = line 1). */
export interface CsvRecord {
  record: string[];
  line: number;
}

/**
 * An annotation file's content, read once; each reader asks for the form it reads (JSON, CSV records),
 * parsed at most once however many readers look at it.
 */
export class FileContent {
  private parsedJson: { value: unknown } | { error: string } | undefined;
  private parsedCsv: { records: CsvRecord[] } | { error: string } | undefined;

  constructor(readonly text: string) {}

  /** Whether the text looks like JSON at all (its first character opens an object or a list). */
  get looksLikeJson(): boolean {
    return /^\uFEFF?\s*[[{]/.test(this.text);
  }

  /** The parsed JSON, or undefined when the text is not JSON. */
  json(): unknown {
    if (!this.looksLikeJson) return undefined;
    this.parsedJson ??= (() => {
      try {
        return { value: JSON.parse(this.text.replace(/^\uFEFF/, '')) as unknown };
      } catch (error) {
        return { error: (error as Error).message };
      }
    })();
    return 'value' in this.parsedJson ? this.parsedJson.value : undefined;
  }

  /** Why the text is not JSON, when it looks like JSON but does not parse. */
  jsonError(): string | null {
    this.json();
    return this.parsedJson && 'error' in this.parsedJson ? this.parsedJson.error : null;
  }

  /** The CSV records (blank lines skipped, cells trimmed), or undefined when the text is not CSV. */
  csv(): CsvRecord[] | undefined {
    if (this.looksLikeJson) return undefined;
    this.parsedCsv ??= (() => {
      try {
        // With `info`, each record comes with the line it ends on (csv-parse's types do not model that option).
        const records = parse(this.text, { bom: true, info: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as unknown as {
          record: string[];
          info: { lines: number };
        }[];
        return { records: records.map(({ record, info }) => ({ record, line: info.lines })) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    })();
    return 'records' in this.parsedCsv ? this.parsedCsv.records : undefined;
  }

  csvError(): string | null {
    this.csv();
    return this.parsedCsv && 'error' in this.parsedCsv ? this.parsedCsv.error : null;
  }

  /** The CSV header's column names, trimmed and lower case; undefined when the text is not CSV or empty. */
  csvHeader(): string[] | undefined {
    const records = this.csv();
    return records && records.length > 0 ? records[0].record.map((name) => name.trim().toLowerCase()) : undefined;
  }
}

/** A photo path a file names, resolved inside the catalog, or why it cannot be. */
export type ResolvedPhoto = { path: string } | { problem: string };

export interface ReaderContext {
  /** The catalog folder (absolute). */
  root: string;
  /** The folder being imported (absolute), which paths in the file are relative to. */
  folder: string;
  /** The file (absolute). */
  path: string;
  /** How messages name the file. */
  name: string;
  /** A path the file names, relative to the imported folder (or else to the file's own folder), or absolute. */
  photoPath(raw: string): ResolvedPhoto;
  /** Photo files under the imported folder with this file name (catalog-relative paths), for files that name photos without their folder. */
  photosNamed(fileName: string): string[];
}

/** One annotation format: how to recognise its files by content, and how to read them into rows. */
export interface AnnotationReader {
  /** Short id, recorded with the import (AnnotationRows.format). */
  format: string;
  /** What users call the format, for messages. */
  label: string;
  accepts(content: FileContent): boolean;
  /** Throws a CatalogError when the whole file cannot serve; problems with single records go to `issues`. */
  read(content: FileContent, context: ReaderContext): AnnotationRows;
}
