import type { Annotation, Decision, PublishingSettings } from '../../shared/api.ts';
import { CatalogError } from '../catalog/errors.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import { deploymentOf, readDeployments, type Deployment } from './deployments.ts';
import { readPublishing } from './publishing-settings.ts';

/**
 * What a publication of the catalog says about each annotated photo and annotation, gathered once for
 * every format: where (the deployment), when (the capture time), who identified the animal. Where a
 * value the format requires is unknown, this stops with one line naming the photos or folder and how
 * to supply it, before anything is written.
 */

export interface ExportFactsOptions {
  /** A deployments CSV (deployments.ts); without it, one deployment per folder at its photos' mean GPS position. */
  deployments?: string;
  /** The cameras' clock zone for capture times without one. */
  utcOffset?: string;
  /** 'instant': a date, a time and its zone (Camtrap DP); 'date': a date at least (Wildbook). */
  time: 'instant' | 'date';
}

export interface ExportedPhoto {
  imageId: number;
  path: string;
  sha256: string;
  width: number;
  height: number;
  /** As stored: EXIF's camera time, or an imported file's. */
  capturedAt: string;
  /** The photo's own position (EXIF or an imported file), where it has one. */
  gps: { lat: number; lon: number } | null;
  deployment: Deployment;
}

/** Who last confirmed an annotation's individual, from the decision log. */
export interface Confirmation {
  reviewer: string | null;
  /** The decision's time, ISO 8601 in UTC. */
  at: string;
}

export interface ExportedAnnotation {
  annotation: Annotation;
  photo: ExportedPhoto;
  /** The latest "same" decision in force that joined a member of the annotation's individual; null if none. */
  confirmation: Confirmation | null;
}

export interface ExportFacts {
  annotations: ExportedAnnotation[];
  photos: ExportedPhoto[];
  deployments: Deployment[];
  settings: PublishingSettings;
  decisions: Decision[];
  /** Everyone whose name the log or the settings record as a reviewer. */
  reviewers: string[];
}

const HAS_OFFSET = /(Z|[+-]\d{2}:\d{2})$/;
const HAS_TIME = /T\d{2}:\d{2}/;

/** "a.jpg, b.jpg, … (12 photos)": enough to find them, short enough for one line. */
export function someOf(items: readonly string[], noun = 'photos'): string {
  return `${items.slice(0, 3).join(', ')}${items.length > 3 ? `, … (${items.length} ${noun})` : ''}`;
}

/** The capture time with its zone (Camtrap DP requires one): the photo's own, the deployment's or the option's. */
export function instant(photo: ExportedPhoto, utcOffset?: string): string | null {
  if (HAS_OFFSET.test(photo.capturedAt)) return photo.capturedAt.replace(/Z$/, '+00:00');
  const zone = photo.deployment.utcOffset ?? utcOffset;
  return zone === undefined ? null : `${photo.capturedAt}${zone}`;
}

/** One deployment per folder of exported photos, at the mean GPS position of its photos. */
function deploymentsFromFolders(paths: string[], positions: Map<string, { lat: number; lon: number }>): Deployment[] {
  const byFolder = new Map<string, string[]>();
  for (const path of paths) {
    const folder = path.split('/').slice(0, -1).join('/');
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), path]);
  }
  const unplaced: string[] = [];
  const deployments: Deployment[] = [];
  for (const [folder, photos] of [...byFolder].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const placed = photos.map((photo) => positions.get(photo)).filter((position) => position !== undefined);
    if (placed.length === 0) {
      unplaced.push(`"${folder || '.'}"`);
      continue;
    }
    deployments.push({
      deploymentID: folder || 'catalog',
      folder,
      // A millionth of a degree is about 0.1 m: more digits would only be the mean's rounding noise.
      latitude: Math.round((placed.reduce((sum, position) => sum + position.lat, 0) / placed.length) * 1e6) / 1e6,
      longitude: Math.round((placed.reduce((sum, position) => sum + position.lon, 0) / placed.length) * 1e6) / 1e6,
      locationID: null,
      locationName: null,
      utcOffset: null,
    });
  }
  if (unplaced.length > 0) {
    throw new CatalogError(
      `no location for the photos in folder ${someOf(unplaced, 'folders')} (none of them carries a GPS position): give a deployments file (--deployments: a CSV with deploymentID, folder, latitude, longitude)`,
    );
  }
  return deployments;
}

/** For each individual, the latest "same" decision in force that touched one of its current members. */
function confirmations(decisions: Decision[], individualOf: Map<number, number | null>): Map<number, Confirmation> {
  const byIndividual = new Map<number, Confirmation>();
  for (const decision of decisions) {
    if (decision.verdict !== 'same' || decision.undoneBy !== null) continue;
    for (const member of [decision.a, decision.b]) {
      const individual = individualOf.get(member);
      if (individual !== null && individual !== undefined) byIndividual.set(individual, { reviewer: decision.reviewer, at: decision.createdAt });
    }
  }
  return byIndividual;
}

export function exportFacts(store: CatalogStore, options: ExportFactsOptions): ExportFacts {
  return store.snapshot(() => {
    const settings = readPublishing(store.settings);
    const all = store.annotations.view().annotations;
    if (all.length === 0) throw new CatalogError('the catalog has no annotations to export (import photos first)');
    if (settings.genus === null) {
      throw new CatalogError(
        'the catalog has no species set: set it once with `pairx catalog settings --genus Tragelaphus --specific-epithet angasii` (or in the export form), then export again',
      );
    }

    const images = new Map<number, { path: string; sha256: string; width: number; height: number; capturedAt: string | null }>();
    const positions = new Map<string, { lat: number; lon: number }>();
    for (const annotation of all) {
      if (images.has(annotation.imageId)) continue;
      const image = store.images.byId(annotation.imageId)!;
      images.set(image.id, image);
      if (image.gpsLat !== null && image.gpsLon !== null) positions.set(image.path, { lat: image.gpsLat, lon: image.gpsLon });
    }
    const paths = [...images.values()].map((image) => image.path).sort();
    const deployments = options.deployments ? readDeployments(options.deployments, store.root, paths) : deploymentsFromFolders(paths, positions);
    const outside = paths.filter((path) => !deploymentOf(path, deployments));
    if (outside.length > 0) {
      throw new CatalogError(`${someOf(outside)} ${outside.length === 1 ? 'is' : 'are'} in no deployment's folder: add a row for their folder to the deployments file`);
    }

    const untimed = [...images.values()]
      .filter((image) => image.capturedAt === null || (options.time === 'instant' && !HAS_TIME.test(image.capturedAt)))
      .map((image) => image.path)
      .sort();
    if (untimed.length > 0) {
      throw new CatalogError(
        `no capture time${options.time === 'instant' ? ' (date and time)' : ''} for ${someOf(untimed)}: their EXIF has none; write it into the photos' EXIF (DateTimeOriginal) or give it in an annotations file's date column (wildlife-datasets "date", COCO "date_captured") and import again`,
      );
    }

    const photos = new Map<number, ExportedPhoto>();
    for (const [imageId, image] of images) {
      photos.set(imageId, {
        imageId,
        path: image.path,
        sha256: image.sha256,
        width: image.width,
        height: image.height,
        capturedAt: image.capturedAt!,
        gps: positions.get(image.path) ?? null,
        deployment: deploymentOf(image.path, deployments)!,
      });
    }
    if (options.time === 'instant') {
      const unzoned = [...photos.values()].filter((photo) => instant(photo, options.utcOffset) === null).map((photo) => `${photo.path} (${photo.capturedAt})`);
      if (unzoned.length > 0) {
        throw new CatalogError(
          `the capture time of ${someOf(unzoned)} has no time zone: give the cameras' UTC offset (--utc-offset +02:00, or a utcOffset column in the deployments file)`,
        );
      }
    }

    const decisions = store.decisions.list();
    const individualOf = new Map(all.map((annotation) => [annotation.id, annotation.individualId]));
    const confirmed = confirmations(decisions, individualOf);
    const reviewers = [...new Set([...decisions.map((decision) => decision.reviewer), store.settings.get<string>('reviewer') ?? null])]
      .filter((reviewer): reviewer is string => typeof reviewer === 'string' && reviewer.trim() !== '')
      .sort();
    return {
      annotations: all.map((annotation) => ({
        annotation,
        photo: photos.get(annotation.imageId)!,
        confirmation: annotation.individualId === null ? null : (confirmed.get(annotation.individualId) ?? null),
      })),
      photos: [...photos.values()].sort((a, b) => (a.path < b.path ? -1 : 1)),
      deployments: deployments.filter((deployment) => [...photos.values()].some((photo) => photo.deployment === deployment)),
      settings,
      decisions,
      reviewers,
    };
  });
}
