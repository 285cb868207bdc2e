import type { AnnotationRow, AnnotationRows } from './annotation-rows.ts';

/**
 * A detector's output as annotation rows (src/main/formats/megadetector.ts reads MegaDetector's batch
 * output into it; apply-detections.ts writes it). The rows are the animal detections at or above the
 * threshold, with their boxes in fractions of the image as the detector saw it; what else the file says
 * of each photo (detections left out, failures) comes along, because an import reports it.
 */
export interface DetectionRow extends AnnotationRow {
  /** The detector's confidence, 0..1. */
  conf: number;
}

export interface DetectedPhoto {
  /** How messages name the photo's record: `images[12]`. */
  label: string;
  /** The detector's `failure`, when it could not process the photo. */
  failure: string | null;
  /** Animal detections below the threshold, and detections of other categories (person, vehicle). */
  belowThreshold: number;
  otherCategories: number;
}

export interface DetectionRows extends AnnotationRows {
  rows: DetectionRow[];
  detector: {
    formatVersion: string;
    /** Confidence at or above which an animal detection is a row. */
    threshold: number;
    /** Every photo the file has a record of (catalog-relative path), in the file's order. */
    photos: Map<string, DetectedPhoto>;
  };
}

export const isDetectionRows = (file: AnnotationRows): file is DetectionRows => 'detector' in file;
