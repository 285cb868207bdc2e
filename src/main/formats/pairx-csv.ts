import type { Box, Issue } from '../../shared/api.ts';
import type { AnnotationRow } from '../catalog/annotation-rows.ts';
import { CatalogError } from '../catalog/errors.ts';
import type { AnnotationReader } from './reader.ts';

const BOX_COLUMNS = ['x', 'y', 'w', 'h'] as const;

function parseNumber(text: string): number | null {
  if (text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : Number.NaN;
}

/**
 * This project's own CSV (what `pairx catalog export` writes as annotations.csv): `image` (required) and
 * optionally `name`, `side` or `viewpoint`, `x,y,w,h` and `theta`. Image paths are relative to the
 * imported folder or absolute. A box whose four values are all ≤ 1 is taken as fractions of the photo.
 * A file that cannot serve at all (half a box's columns) is refused; a bad row becomes an issue and the
 * other rows still count.
 */
export const pairxCsvReader: AnnotationReader = {
  format: 'pairx-csv',
  label: 'annotations CSV (image, name, side, x, y, w, h, theta)',
  accepts: (content) => content.csvHeader()?.includes('image') ?? false,
  read(content, context) {
    const file = context.name;
    const records = content.csv()!;
    const header = content.csvHeader()!;
    const column = (name: string): number => header.indexOf(name);
    const boxColumns = BOX_COLUMNS.map(column);
    const presentBox = BOX_COLUMNS.filter((_, i) => boxColumns[i] >= 0);
    if (presentBox.length > 0 && presentBox.length < 4) {
      throw new CatalogError(`${file} has box columns ${presentBox.join(', ')} but not all of x, y, w, h`);
    }
    const sideColumn = column('side') >= 0 ? column('side') : column('viewpoint');

    const rows: AnnotationRow[] = [];
    const described = new Set<string>();
    const issues: Issue[] = [];
    for (const { record, line } of records.slice(1)) {
      const cell = (index: number): string => (index >= 0 ? (record[index] ?? '').trim() : '');
      const problem = (message: string) => issues.push({ file, row: line, message });

      const photo = context.photoPath(cell(column('image')));
      if ('problem' in photo) {
        problem(photo.problem);
        continue;
      }
      described.add(photo.path);

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
        path: photo.path,
        name: cell(column('name')) || null,
        side: cell(sideColumn).toLowerCase() || null,
        box,
        units: fractional ? 'fractions' : 'pixels',
        referenceSize: null,
        theta,
        capturedAt: null,
        gps: null,
      });
    }
    return { file, format: this.format, rows, described, issues };
  },
};
