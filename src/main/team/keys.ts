import { createHash } from 'node:crypto';
import type { Box } from '../../shared/api.ts';

/**
 * How catalogs of one team name the same things without sharing ids: a photo by its content hash
 * (images.sha256), an annotation by its photo and box. Two catalogs that imported the same photos with the
 * same boxes (the same CSV, COCO file or detector output) give each annotation the same key, whatever their
 * local ids are. Boxes are rounded to whole pixels, so that the last bits of a float computed the same way
 * twice never split one annotation into two.
 */
export function annotationKey(sha256: string, box: Box | null, theta: number): string {
  const place = box === null ? '' : `@${[box.x, box.y, box.w, box.h].map((value) => Math.round(value)).join(',')}`;
  const turn = Math.abs(theta) < 5e-4 ? '' : `r${theta.toFixed(3)}`;
  return `${sha256}${place}${turn}`;
}

/** A UUID made from text (SHA-256, shaped as a version-5-style UUID): the same text gives the same id everywhere. */
export function uidFrom(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The id of "a person gave this annotation this name": one event however many catalogs imported it. */
export const givenNameUid = (key: string, name: string): string => uidFrom(`given-name\u0000${key}\u0000${name}`);

/** The last part of a stored photo path (what a reviewer recognises a photo by). */
export const fileNameOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
