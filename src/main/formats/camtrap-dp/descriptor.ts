import { SAMPLING_DESIGNS, CAPTURE_METHODS, type PublishingSettings } from '../../../shared/api.ts';
import type { Deployment } from '../deployments.ts';

/**
 * datapackage.json of a Camtrap DP 1.0 package (camtrap-dp-profile.json, version 1.0.2) and the check of
 * the profile's rules for it, written from the profile: required keys (resources, profile, created,
 * contributors, project, spatial, temporal, taxonomic), the three resources with their names, paths,
 * tabular profile and versioned schema addresses, contributor roles, the project's required values and
 * enumerations, GeoJSON coverage, temporal dates, taxonomic names and ranks.
 */

export const CAMTRAP_DP_VERSION = '1.0.2';
const BASE = `https://raw.githubusercontent.com/tdwg/camtrap-dp/${CAMTRAP_DP_VERSION}`;
export const PROFILE_URL = `${BASE}/camtrap-dp-profile.json`;
export const RESOURCES = ['deployments', 'media', 'observations'] as const;
export const schemaUrl = (resource: string): string => `${BASE}/${resource}-table-schema.json`;

const CONTRIBUTOR_ROLES = ['contact', 'principalInvestigator', 'rightsHolder', 'publisher', 'contributor'];
const TAXON_RANKS = ['kingdom', 'phylum', 'class', 'order', 'family', 'genus', 'species', 'subspecies'];
const GEOJSON_TYPES = ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection', 'Feature', 'FeatureCollection'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Data Package's `name`: lower case letters, digits and - . _ / */
const PACKAGE_NAME = /^[-a-z0-9._/]+$/;

export interface DescriptorInput {
  catalogName: string;
  settings: PublishingSettings;
  scientificName: string;
  reviewers: string[];
  deployments: (Deployment & { start: string; end: string })[];
  created: Date;
}

/** The time without milliseconds, as the profile's examples and GBIF write it. */
export const isoSeconds = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** GeoJSON of the deployments: a point, or the box around them (a MultiPoint where they lie on one line). */
function coverage(deployments: DescriptorInput['deployments']): Record<string, unknown> {
  const points = [...new Map(deployments.map((d) => [`${d.longitude},${d.latitude}`, [d.longitude, d.latitude]])).values()];
  if (points.length === 1) return { type: 'Point', coordinates: points[0] };
  const lons = points.map(([lon]) => lon);
  const lats = points.map(([, lat]) => lat);
  const [west, east, south, north] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  if (west === east || south === north) return { type: 'MultiPoint', coordinates: points };
  return { type: 'Polygon', coordinates: [[[west, south], [east, south], [east, north], [west, north], [west, south]]] };
}

export function buildDescriptor(input: DescriptorInput): Record<string, unknown> {
  const { settings } = input;
  const name = input.catalogName.toLowerCase().replace(/[^-a-z0-9._]+/g, '-').replace(/^-+|-+$/g, '') || 'pairx-catalog';
  const starts = input.deployments.map((d) => d.start).sort((a, b) => Date.parse(a) - Date.parse(b));
  const ends = input.deployments.map((d) => d.end).sort((a, b) => Date.parse(a) - Date.parse(b));
  return {
    profile: PROFILE_URL,
    name,
    created: isoSeconds(input.created),
    title: settings.projectTitle ?? input.catalogName,
    contributors: input.reviewers.map((title) => ({ title, role: 'contributor' })),
    sources: [{ title: 'pairx-workbench', version: '0.1.0' }],
    project: {
      title: settings.projectTitle ?? input.catalogName,
      samplingDesign: settings.samplingDesign,
      captureMethod: settings.captureMethod,
      individualAnimals: true,
      observationLevel: ['media'],
    },
    spatial: coverage(input.deployments),
    // The deployments' local dates, as their times are written.
    temporal: { start: starts[0].slice(0, 10), end: ends[ends.length - 1].slice(0, 10) },
    taxonomic: [
      settings.specificEpithet === null
        ? { scientificName: input.scientificName, taxonRank: 'genus' }
        : { scientificName: input.scientificName, taxonRank: 'species', genus: settings.genus },
    ],
    // GBIF reads media-level observations only when asked to (gbif/camtrap-dp-pipeline).
    gbifIngestion: { observationLevel: 'media' },
    resources: RESOURCES.map((resource) => ({
      name: resource,
      path: `${resource}.csv`,
      profile: 'tabular-data-resource',
      format: 'csv',
      mediatype: 'text/csv',
      encoding: 'utf-8',
      schema: schemaUrl(resource),
    })),
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Problems of a descriptor against the profile's rules (none: an empty list). */
export function checkDescriptor(descriptor: unknown): string[] {
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`datapackage.json: ${message}`);
  if (!isObject(descriptor)) return ['datapackage.json: not a JSON object'];
  for (const key of ['resources', 'profile', 'created', 'contributors', 'project', 'spatial', 'temporal', 'taxonomic']) {
    if (!(key in descriptor)) fail(`no "${key}"`);
  }
  if (descriptor.profile !== PROFILE_URL) fail(`profile is not ${PROFILE_URL}`);
  if (descriptor.name !== undefined && (typeof descriptor.name !== 'string' || !PACKAGE_NAME.test(descriptor.name))) fail('name is not lower case letters, digits and -._/');
  if (typeof descriptor.created !== 'string' || Number.isNaN(Date.parse(descriptor.created))) fail('created is not a date and time');

  const resources = Array.isArray(descriptor.resources) ? descriptor.resources : [];
  if (resources.length < 3) fail('resources lists fewer than 3 resources');
  for (const resource of RESOURCES) {
    const found = resources.filter((candidate) => isObject(candidate) && candidate.name === resource) as Record<string, unknown>[];
    if (found.length !== 1) {
      fail(`resources has ${found.length} "${resource}" resources, not 1`);
      continue;
    }
    const [entry] = found;
    if (typeof entry.path !== 'string' || entry.path === '') fail(`resource ${resource} has no path`);
    if (entry.profile !== 'tabular-data-resource') fail(`resource ${resource}'s profile is not tabular-data-resource`);
    if (typeof entry.schema !== 'string' || !entry.schema.includes(CAMTRAP_DP_VERSION) || !/^https?:\/\//.test(entry.schema)) fail(`resource ${resource}'s schema is not a ${CAMTRAP_DP_VERSION} schema address`);
  }

  const contributors = descriptor.contributors;
  if (!Array.isArray(contributors)) fail('contributors is not a list');
  else
    contributors.forEach((contributor, index) => {
      if (!isObject(contributor) || typeof contributor.title !== 'string' || contributor.title === '') fail(`contributors[${index}] has no title`);
      else if (contributor.role !== undefined && !CONTRIBUTOR_ROLES.includes(String(contributor.role))) fail(`contributors[${index}].role is not one of ${CONTRIBUTOR_ROLES.join(', ')}`);
    });

  const project = descriptor.project;
  if (!isObject(project)) fail('project is not an object');
  else {
    if (typeof project.title !== 'string') fail('project.title is not a string');
    if (!SAMPLING_DESIGNS.includes(project.samplingDesign as (typeof SAMPLING_DESIGNS)[number])) fail(`project.samplingDesign is not one of ${SAMPLING_DESIGNS.join(', ')}`);
    const methods = project.captureMethod;
    if (!Array.isArray(methods) || methods.length === 0 || new Set(methods).size !== methods.length || methods.some((method) => !CAPTURE_METHODS.includes(method))) {
      fail(`project.captureMethod is not a non-empty list of distinct ${CAPTURE_METHODS.join(', ')}`);
    }
    if (typeof project.individualAnimals !== 'boolean') fail('project.individualAnimals is not true or false');
    const levels = project.observationLevel;
    if (!Array.isArray(levels) || levels.some((level) => level !== 'media' && level !== 'event')) fail('project.observationLevel is not a list of media, event');
  }

  const spatial = descriptor.spatial;
  if (!isObject(spatial) || !GEOJSON_TYPES.includes(String(spatial.type))) fail('spatial is not a GeoJSON object');
  else if (spatial.type !== 'GeometryCollection' && spatial.type !== 'Feature' && spatial.type !== 'FeatureCollection' && !Array.isArray(spatial.coordinates)) fail('spatial has no coordinates');

  const temporal = descriptor.temporal;
  if (!isObject(temporal) || typeof temporal.start !== 'string' || typeof temporal.end !== 'string' || !DATE.test(temporal.start) || !DATE.test(temporal.end)) {
    fail('temporal needs start and end dates (YYYY-MM-DD)');
  } else if (temporal.start > temporal.end) fail('temporal.start is after temporal.end');

  const taxonomic = descriptor.taxonomic;
  if (!Array.isArray(taxonomic)) fail('taxonomic is not a list');
  else
    taxonomic.forEach((taxon, index) => {
      if (!isObject(taxon) || typeof taxon.scientificName !== 'string') fail(`taxonomic[${index}] has no scientificName`);
      else if (taxon.taxonRank !== undefined && !TAXON_RANKS.includes(String(taxon.taxonRank))) fail(`taxonomic[${index}].taxonRank is not one of ${TAXON_RANKS.join(', ')}`);
    });
  return problems;
}
