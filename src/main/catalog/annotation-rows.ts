import type { Box, Issue } from '../../shared/api.ts';

/**
 * The one shape every annotation file reaches the catalog in, whatever format it came as (this
 * project's CSV, COCO from Wildbook/WBIA, wildlife-datasets metadata, detector output): the readers in
 * src/main/formats produce it, applyAnnotationRows (apply-annotations.ts) writes it. Rows are made
 * before the photos are imported, so a box may still be in the file's own units.
 */

/** Pixels of the image the file describes, or fractions (0..1) of its width and height. */
export type BoxUnits = 'pixels' | 'fractions';

export interface PhotoSize {
  width: number;
  height: number;
}

export interface AnnotationRow {
  /** Line in a CSV file (header = 1): the issue's row. */
  line?: number;
  /** How messages name a record that has no line of its own (JSON): "annotation 17 (image 3)". */
  label?: string;
  /** The photo, relative to the catalog root, '/'-separated. */
  path: string;
  /** The individual; null when the file does not know it ('unknown', '____', empty). */
  name: string | null;
  /** Side or viewpoint, lower case; null when unknown. */
  side: string | null;
  /** null for the whole photo. */
  box: Box | null;
  units: BoxUnits;
  /**
   * The size of the image a pixel box refers to (COCO's images[].width and height: exporters may resize);
   * the box is scaled to the photo on disk when that differs. null: the photo on disk itself.
   */
  referenceSize: PhotoSize | null;
  /** Radians about the box centre. */
  theta: number;
  /** 'YYYY-MM-DDThh:mm:ss' with an offset when known, or 'YYYY-MM-DD'; fills a photo's missing capture time. */
  capturedAt: string | null;
  /** Degrees (WGS84); fills a photo's missing position. */
  gps: { lat: number; lon: number } | null;
}

export interface AnnotationRows {
  /** How messages name the file (relative to the catalog when inside it). */
  file: string;
  /** The reader that read it (formats/registry.ts). */
  format: string;
  rows: AnnotationRow[];
  /**
   * Every photo the file describes, usable rows or not, including photos it describes as having no
   * annotation: the file, not the import, decides their annotations (no whole-photo annotation is added).
   */
  described: Set<string>;
  /** Problems found while reading; their records are not in `rows`. */
  issues: Issue[];
}

/** A row's place in its file, as messages and the annotation's `source` give it. */
export const rowPlace = (row: Pick<AnnotationRow, 'line' | 'label'>): string =>
  row.line !== undefined ? `line ${row.line}` : (row.label ?? 'a record');
