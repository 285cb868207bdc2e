import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO } from '../catalog/helpers.ts';

/** Annotation files written the way WBIA, Wildbook and wildlife-datasets write them (see its README). */
export const FORMATS = fileURLToPath(new URL('../fixtures/formats/', import.meta.url));

/** A fixture photo: a demo photo by its path under resources/demo/photos, or the two-animal frame. */
const source = (photo: string): string => (photo === 'two-nyala.jpg' ? join(FORMATS, photo) : join(DEMO, 'photos', photo));

function place(root: string, target: string, photo: string): void {
  mkdirSync(dirname(join(root, target)), { recursive: true });
  copyFileSync(source(photo), join(root, target));
}

export interface CocoJson {
  images: { id: number; file_name: string; width: number; height: number; photographer?: string; date_captured?: string }[];
  annotations: { id: number; image_id: number; bbox: number[]; theta: number; viewpoint?: string | null; name: string | null; individual_uuid?: string | null }[];
}

export const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** WBIA's source photo of each exported image (the fixture keeps it in the image's notes). */
export const WBIA_SOURCES = ['106/132_leftphoto.jpg', '106/193_rightphoto.jpg', '123/159_leftphoto.jpg', 'two-nyala.jpg', '134/1000_leftphoto.jpg', '146/224_leftphoto.jpg'];

/**
 * A WBIA export as it lands: `coco/annotations/instances_train2024.json` and the images renamed under
 * `coco/images/train2024/` (here the full-size photos; the file's boxes refer to 256-px exports of them).
 * Returns the folder to import and the JSON file.
 */
export function layOutWbia(root: string, json: unknown = readJson(join(FORMATS, 'wbia-coco.json'))): { folder: string; file: string } {
  WBIA_SOURCES.forEach((photo, index) => place(root, `coco/images/train2024/${String(index + 1).padStart(12, '0')}.jpg`, photo));
  const file = join(root, 'coco/annotations/instances_train2024.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
  return { folder: join(root, 'coco'), file };
}

export const WILDBOOK_SOURCES: Record<string, string> = {
  'f4b8c2e1-3d5a-4e7b-8c9d-0a1b2c3d4e5f.jpg': '123/274_leftphoto.jpg',
  '0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b.jpg': '134/194_rightphoto.jpg',
  '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d.jpg': '146/292_leftphoto.jpg',
};

/** A Wildbook COCO export unpacked into `wildbook/`: the JSON beside `images/<uuid>.jpg`. */
export function layOutWildbook(root: string): { folder: string; file: string } {
  for (const [name, photo] of Object.entries(WILDBOOK_SOURCES)) place(root, `wildbook/images/${name}`, photo);
  const file = join(root, 'wildbook/annotations.json');
  copyFileSync(join(FORMATS, 'wildbook-coco.json'), file);
  return { folder: join(root, 'wildbook'), file };
}

/** A wildlife-datasets data set root `nyala-wd/` with its metadata CSV and the images at its paths. */
export function layOutWildlifeDatasets(root: string): { folder: string; file: string } {
  const photos: Record<string, string> = {
    'images/train/106/132_leftphoto.jpg': '106/132_leftphoto.jpg',
    'images/train/106/193_rightphoto.jpg': '106/193_rightphoto.jpg',
    'images/train/123/159_leftphoto.jpg': '123/159_leftphoto.jpg',
    'images/wide/two-nyala.jpg': 'two-nyala.jpg',
    'images/train/134/1000_leftphoto.jpg': '134/1000_leftphoto.jpg',
  };
  for (const [path, photo] of Object.entries(photos)) place(root, `nyala-wd/${path}`, photo);
  const file = join(root, 'nyala-wd/metadata.csv');
  copyFileSync(join(FORMATS, 'wildlife-datasets.csv'), file);
  return { folder: join(root, 'nyala-wd'), file };
}
