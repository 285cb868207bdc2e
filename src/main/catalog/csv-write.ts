import { renameSync, writeFileSync } from 'node:fs';

type Cell = string | number | null | undefined;

/** RFC 4180 quoting: only where a value needs it, doubling inner quotes. */
function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Writes a CSV file under a temporary name and renames it, so a reader never sees half a file. */
export function writeCsv(file: string, header: readonly string[], rows: Iterable<readonly Cell[]>): void {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(row.map(csvCell).join(','));
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, `${lines.join('\n')}\n`);
  renameSync(partial, file);
}
