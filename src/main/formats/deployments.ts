import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CatalogError } from '../catalog/errors.ts';
import { relativeInside } from '../paths.ts';

/** One camera placement: the photos of a folder (relative to the catalog), taken at one place. */
export interface Deployment {
  deploymentID: string;
  /** Relative to the catalog root, '/'-separated; '' for the catalog folder itself. */
  folder: string;
  latitude: number;
  longitude: number;
  locationID: string | null;
  locationName: string | null;
  /** The camera clock's zone (+hh:mm), for capture times without one. */
  utcOffset: string | null;
}

const REQUIRED = ['deploymentid', 'folder', 'latitude', 'longitude'];
const OFFSET = /^[+-](0\d|1[0-4]):[0-5]\d$/;

/** Whether a stored photo path lies at or below a deployment's folder. */
export const inFolder = (path: string, folder: string): boolean => folder === '' || path.startsWith(`${folder}/`);

/**
 * Reads a deployments CSV (`deploymentID, folder, latitude, longitude`, optionally `locationID`,
 * `locationName`, `utcOffset`). `photos` are the catalog's photo paths: a folder that holds none of them
 * is refused, as are bad coordinates and repeated ids, each with one line naming the file and line.
 */
export function readDeployments(file: string, root: string, photos: readonly string[]): Deployment[] {
  const path = resolve(file);
  const name = relativeInside(root, path) || path;
  let records: Record<string, string>[];
  try {
    records = parse(readFileSync(path, 'utf8'), {
      bom: true,
      columns: (header: string[]) => header.map((column) => column.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
    }) as Record<string, string>[];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CatalogError(code === 'ENOENT' || code === 'EACCES' ? `cannot read ${path}: ${code}` : `${name} is not a readable CSV file: ${(error as Error).message}`);
  }
  const columns = records.length > 0 ? Object.keys(records[0]) : [];
  const absent = REQUIRED.filter((column) => !columns.includes(column));
  if (records.length === 0 || absent.length > 0) {
    throw new CatalogError(`${name} needs the columns deploymentID, folder, latitude, longitude${records.length === 0 ? ' and one row per camera' : ` (it has no ${absent.join(', ')})`}`);
  }
  const folders = [...new Set(photos.map((photo) => photo.split('/').slice(0, -1).join('/')))].sort();
  const seen = new Map<string, number>();
  return records.map((record, index) => {
    const line = index + 2;
    const fail = (message: string): never => {
      throw new CatalogError(`${name} line ${line}: ${message}`);
    };
    const deploymentID = record.deploymentid;
    if (!deploymentID) fail('no deploymentID');
    if (seen.has(deploymentID)) fail(`deploymentID "${deploymentID}" is also on line ${seen.get(deploymentID)}`);
    seen.set(deploymentID, line);
    const folder = record.folder.replaceAll('\\', '/').replace(/^\.\/?/, '').replace(/\/+$/, '');
    if (!photos.some((photo) => inFolder(photo, folder))) {
      const known = folders.slice(0, 5).map((known) => `"${known || '.'}"`).join(', ');
      fail(`folder "${record.folder}" holds no photo of the catalog (folders with photos: ${known}${folders.length > 5 ? ', …' : ''})`);
    }
    const latitude = Number(record.latitude);
    const longitude = Number(record.longitude);
    if (record.latitude === '' || !Number.isFinite(latitude) || Math.abs(latitude) > 90) fail(`latitude "${record.latitude}" is not a number from -90 to 90`);
    if (record.longitude === '' || !Number.isFinite(longitude) || Math.abs(longitude) > 180) fail(`longitude "${record.longitude}" is not a number from -180 to 180`);
    const utcOffset = record.utcoffset || null;
    if (utcOffset !== null && !OFFSET.test(utcOffset)) fail(`utcOffset "${utcOffset}" is not +hh:mm or -hh:mm`);
    return {
      deploymentID,
      folder,
      latitude,
      longitude,
      locationID: record.locationid || null,
      locationName: record.locationname || null,
      utcOffset,
    };
  });
}

/** The deployment of a photo: the one whose folder is the deepest that holds it. */
export function deploymentOf(path: string, deployments: readonly Deployment[]): Deployment | undefined {
  let best: Deployment | undefined;
  for (const deployment of deployments) {
    if (inFolder(path, deployment.folder) && (!best || deployment.folder.length > best.folder.length)) best = deployment;
  }
  return best;
}
