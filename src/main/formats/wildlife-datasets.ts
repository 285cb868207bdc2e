import type { Box, Issue } from '../../shared/api.ts';
import type { AnnotationRow } from '../catalog/annotation-rows.ts';
import { captureTime } from './capture-time.ts';
import type { AnnotationReader } from './reader.ts';

/**
 * The metadata table of wildlife-datasets (WildlifeDatasets/wildlife-datasets `docs/dataframe.md`), as
 * `dataset.df.to_csv()` writes it: an unnamed index column first, then `image_id` (older versions: `id`),
 * `identity` (`unknown` for an unknown animal), `path` (relative to the data set's root) and optionally
 * `bbox` ([x, y, w, h] in pixels, written as a Python list "[10.0, 20.0, 30.0, 40.0]" or a NumPy array
 * "[10. 20. 30. 40.]"), `orientation` or `position` (left, right, …), `date` ("%Y-%m-%d %H:%M:%S"),
 * `species`, `keypoints`, `segmentation`. One row is one animal: a photo with several has several rows.
 */

/** The library's `unknown_name`; pandas writes a missing value as an empty cell or "nan". */
const UNKNOWN_IDENTITIES = new Set(['', 'unknown', 'nan']);
const UNKNOWN_SIDES = new Set(['', 'nan', 'none', 'unknown']);
const EMPTY_BOXES = new Set(['', 'nan', 'none', '[]']);

/** A box written as a Python list, tuple or NumPy array; null when empty; a string says why not. */
function parseBox(text: string): Box | null | string {
  if (EMPTY_BOXES.has(text.toLowerCase())) return null;
  const inner = /^[[(]?([^[\]()]*)[\])]?$/.exec(text.trim());
  const values = inner ? inner[1].split(/[\s,]+/).filter((part) => part !== '').map(Number) : [];
  if (values.length !== 4 || values.some((value) => !Number.isFinite(value))) return `bbox "${text}" is not [x, y, w, h] in pixels`;
  const [x, y, w, h] = values;
  if (w <= 0 || h <= 0) return `box has no area (w ${w}, h ${h})`;
  return { x, y, w, h };
}

export const wildlifeDatasetsReader: AnnotationReader = {
  format: 'wildlife-datasets',
  label: 'wildlife-datasets metadata (CSV)',
  accepts(content) {
    const header = content.csvHeader();
    return header !== undefined && header.includes('identity') && header.includes('path');
  },
  read(content, context) {
    const file = context.name;
    const records = content.csv()!;
    const header = content.csvHeader()!;
    const column = (...names: string[]): number => names.map((name) => header.indexOf(name)).find((index) => index >= 0) ?? -1;
    const columns = {
      identity: column('identity'),
      path: column('path'),
      bbox: column('bbox'),
      side: column('orientation', 'position', 'viewpoint'),
      date: column('date'),
    };

    const rows: AnnotationRow[] = [];
    const described = new Set<string>();
    const issues: Issue[] = [];
    for (const { record, line } of records.slice(1)) {
      const cell = (index: number): string => (index >= 0 ? (record[index] ?? '').trim() : '');
      const problem = (message: string) => issues.push({ file, row: line, message });

      const photo = context.photoPath(cell(columns.path));
      if ('problem' in photo) {
        problem(photo.problem);
        continue;
      }
      described.add(photo.path);
      const box = parseBox(cell(columns.bbox));
      if (typeof box === 'string') {
        problem(box);
        continue;
      }
      const date = captureTime(cell(columns.date));
      if (date !== null && typeof date === 'object') problem(`${date.problem}; imported without it`);

      const identity = cell(columns.identity);
      const side = cell(columns.side).toLowerCase();
      rows.push({
        line,
        path: photo.path,
        name: UNKNOWN_IDENTITIES.has(identity.toLowerCase()) ? null : identity,
        side: UNKNOWN_SIDES.has(side) ? null : side,
        box,
        units: 'pixels',
        referenceSize: null,
        theta: 0,
        capturedAt: typeof date === 'string' ? date : null,
        gps: null,
      });
    }
    return { file, format: this.format, rows, described, issues };
  },
};
