import { renameSync, writeFileSync } from 'node:fs';

export type Cell = string | number | null | undefined;

/** RFC 4180 quoting: only where a value needs it, doubling inner quotes. */
function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV file's text: a header line and one line per row. */
export function csvText(header: readonly string[], rows: Iterable<readonly Cell[]>): string {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(row.map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}

/** Writes a file under a temporary name and renames it, so a reader never sees half a file. */
export function writeWhole(file: string, content: string | Uint8Array): void {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, content);
  renameSync(partial, file);
}

/** Writes a CSV file whole (see writeWhole). */
export function writeCsv(file: string, header: readonly string[], rows: Iterable<readonly Cell[]>): void {
  writeWhole(file, csvText(header, rows));
}
