import { parse } from 'csv-parse/sync';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An independent check of a Camtrap DP 1.0.2 package, written for the tests from the standard's
 * published specification (camtrap-dp.tdwg.org: Metadata and Data pages; the 1.0.2 profile and table
 * schemas, MIT licence) and Frictionless Table Schema, without the app's code or its copy of the
 * schemas: descriptor keys, the three tables' fields in order, required values, types, enumerations,
 * ranges, patterns, unique keys and foreign keys, plus the standard's sense rules (an event's end not
 * before its start, media-level observations naming their media, start dates within temporal coverage).
 */

type Type = 'string' | 'number' | 'integer' | 'boolean' | 'datetime' | 'any';
interface Field {
  name: string;
  type: Type;
  required?: true;
  unique?: true;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: RegExp;
}

const f = (name: string, type: Type, rules: Omit<Field, 'name' | 'type'> = {}): Field => ({ name, type, ...rules });
const required = { required: true } as const;

export const SPEC: Record<'deployments' | 'media' | 'observations', Field[]> = {
  deployments: [
    f('deploymentID', 'string', { required: true, unique: true }),
    f('locationID', 'string'),
    f('locationName', 'string'),
    f('latitude', 'number', { required: true, min: -90, max: 90 }),
    f('longitude', 'number', { required: true, min: -180, max: 180 }),
    f('coordinateUncertainty', 'integer', { min: 1 }),
    f('deploymentStart', 'datetime', required),
    f('deploymentEnd', 'datetime', required),
    f('setupBy', 'string'),
    f('cameraID', 'string'),
    f('cameraModel', 'string'),
    f('cameraDelay', 'integer', { min: 0 }),
    f('cameraHeight', 'number', { min: 0 }),
    f('cameraDepth', 'number', { min: 0 }),
    f('cameraTilt', 'integer', { min: -90, max: 90 }),
    f('cameraHeading', 'integer', { min: 0, max: 360 }),
    f('detectionDistance', 'number', { min: 0 }),
    f('timestampIssues', 'boolean'),
    f('baitUse', 'boolean'),
    f('featureType', 'string', {
      enum: ['roadPaved', 'roadDirt', 'trailHiking', 'trailGame', 'roadUnderpass', 'roadOverpass', 'roadBridge', 'culvert', 'burrow', 'nestSite', 'carcass', 'waterSource', 'fruitingTree'],
    }),
    f('habitat', 'string'),
    f('deploymentGroups', 'string'),
    f('deploymentTags', 'string'),
    f('deploymentComments', 'string'),
  ],
  media: [
    f('mediaID', 'string', { required: true, unique: true }),
    f('deploymentID', 'string', required),
    f('captureMethod', 'string', { enum: ['activityDetection', 'timeLapse'] }),
    f('timestamp', 'datetime', required),
    // A URL or a relative path inside the package: not starting with . / ~ and never containing "..".
    f('filePath', 'string', { required: true, pattern: /^(?![./~])(?!.*\.\.).*$/ }),
    f('filePublic', 'boolean', required),
    f('fileName', 'string'),
    f('fileMediatype', 'string', { required: true, pattern: /^(image|video|audio)\/.*$/ }),
    f('exifData', 'any'),
    f('favorite', 'boolean'),
    f('mediaComments', 'string'),
  ],
  observations: [
    f('observationID', 'string', { required: true, unique: true }),
    f('deploymentID', 'string', required),
    f('mediaID', 'string'),
    f('eventID', 'string'),
    f('eventStart', 'datetime', required),
    f('eventEnd', 'datetime', required),
    f('observationLevel', 'string', { required: true, enum: ['media', 'event'] }),
    f('observationType', 'string', { required: true, enum: ['animal', 'human', 'vehicle', 'blank', 'unknown', 'unclassified'] }),
    f('cameraSetupType', 'string', { enum: ['setup', 'calibration'] }),
    f('scientificName', 'string'),
    f('count', 'integer', { min: 1 }),
    f('lifeStage', 'string', { enum: ['adult', 'subadult', 'juvenile'] }),
    f('sex', 'string', { enum: ['female', 'male'] }),
    f('behavior', 'string'),
    f('individualID', 'string'),
    f('individualPositionRadius', 'number', { min: 0 }),
    f('individualPositionAngle', 'number', { min: -90, max: 90 }),
    f('individualSpeed', 'number', { min: 0 }),
    f('bboxX', 'number', { min: 0, max: 1 }),
    f('bboxY', 'number', { min: 0, max: 1 }),
    f('bboxWidth', 'number', { min: 1e-15, max: 1 }),
    f('bboxHeight', 'number', { min: 1e-15, max: 1 }),
    f('classificationMethod', 'string', { enum: ['human', 'machine'] }),
    f('classifiedBy', 'string'),
    f('classificationTimestamp', 'datetime'),
    f('classificationProbability', 'number', { min: 0, max: 1 }),
    f('observationTags', 'string'),
    f('observationComments', 'string'),
  ],
};

/** Camtrap DP's tables treat these as missing (missingValues). */
const MISSING = new Set(['', 'NA', 'NaN', 'nan']);
/** YYYY-MM-DDThh:mm:ssZ or YYYY-MM-DDThh:mm:ss±hh:mm (the spec's datetime form). */
const DATETIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(Z|[+-]\d{2}:\d{2})$/;

function valueProblem(field: Field, value: string): string | null {
  if (field.type === 'number' && !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value)) return 'not a number';
  if (field.type === 'integer' && !/^-?\d+$/.test(value)) return 'not an integer';
  if (field.type === 'boolean' && !['true', 'false'].includes(value)) return 'not true/false';
  if (field.type === 'datetime' && (!DATETIME.test(value) || Number.isNaN(Date.parse(value)))) return 'not an ISO 8601 date-time with a zone';
  if (field.enum && !field.enum.includes(value)) return `not one of ${field.enum.join('|')}`;
  if (field.min !== undefined && Number(value) < field.min) return `below ${field.min}`;
  if (field.max !== undefined && Number(value) > field.max) return `above ${field.max}`;
  if (field.pattern && !field.pattern.test(value)) return `does not match ${field.pattern}`;
  return null;
}

export interface CheckedPackage {
  problems: string[];
  descriptor: Record<string, unknown>;
  tables: Record<'deployments' | 'media' | 'observations', Record<string, string>[]>;
}

const PROFILE = 'https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/camtrap-dp-profile.json';

export function checkCamtrapDpPackage(folder: string): CheckedPackage {
  const problems: string[] = [];
  const descriptor = JSON.parse(readFileSync(join(folder, 'datapackage.json'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  // Descriptor (profile): required keys and their shapes.
  for (const key of ['resources', 'profile', 'created', 'contributors', 'project', 'spatial', 'temporal', 'taxonomic']) if (!(key in descriptor)) problems.push(`descriptor: no ${key}`);
  if (descriptor.profile !== PROFILE) problems.push('descriptor: profile is not the 1.0.2 profile');
  if (Number.isNaN(Date.parse(descriptor.created))) problems.push('descriptor: created is not a date');
  if (!Array.isArray(descriptor.contributors) || descriptor.contributors.some((c: any) => !c.title || (c.role && !['contact', 'principalInvestigator', 'rightsHolder', 'publisher', 'contributor'].includes(c.role)))) { // eslint-disable-line @typescript-eslint/no-explicit-any
    problems.push('descriptor: contributors need a title and a known role');
  }
  const project = descriptor.project ?? {};
  for (const key of ['title', 'samplingDesign', 'captureMethod', 'individualAnimals', 'observationLevel']) if (!(key in project)) problems.push(`descriptor: project has no ${key}`);
  if (!['simpleRandom', 'systematicRandom', 'clusteredRandom', 'experimental', 'targeted', 'opportunistic'].includes(project.samplingDesign)) problems.push('descriptor: project.samplingDesign');
  if (!Array.isArray(project.captureMethod) || project.captureMethod.length === 0 || project.captureMethod.some((m: string) => !['activityDetection', 'timeLapse'].includes(m))) problems.push('descriptor: project.captureMethod');
  if (typeof project.individualAnimals !== 'boolean') problems.push('descriptor: project.individualAnimals');
  if (!Array.isArray(project.observationLevel) || project.observationLevel.some((l: string) => !['media', 'event'].includes(l))) problems.push('descriptor: project.observationLevel');
  if (!descriptor.spatial?.type || !(descriptor.spatial.coordinates || descriptor.spatial.geometries || descriptor.spatial.features)) problems.push('descriptor: spatial is not GeoJSON');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(descriptor.temporal?.start) || !/^\d{4}-\d{2}-\d{2}$/.test(descriptor.temporal?.end) || descriptor.temporal.start > descriptor.temporal.end) problems.push('descriptor: temporal');
  if (!Array.isArray(descriptor.taxonomic) || descriptor.taxonomic.some((t: any) => typeof t.scientificName !== 'string')) problems.push('descriptor: taxonomic'); // eslint-disable-line @typescript-eslint/no-explicit-any

  const tables = {} as CheckedPackage['tables'];
  for (const name of ['deployments', 'media', 'observations'] as const) {
    const resource = (descriptor.resources ?? []).find((r: { name?: string }) => r.name === name);
    if (!resource) {
      problems.push(`descriptor: no ${name} resource`);
      tables[name] = [];
      continue;
    }
    if (resource.profile !== 'tabular-data-resource') problems.push(`${name}: profile`);
    if (resource.schema !== `https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/${name}-table-schema.json`) problems.push(`${name}: schema address`);
    const file = join(folder, resource.path);
    if (!existsSync(file)) {
      problems.push(`${name}: ${resource.path} missing`);
      tables[name] = [];
      continue;
    }
    const records = parse(readFileSync(file, 'utf8'), { bom: true }) as string[][];
    const header = records[0];
    const fields = SPEC[name];
    if (header.join(',') !== fields.map((field) => field.name).join(',')) problems.push(`${name}: header ${header.join(',')}`);
    const rows = records.slice(1).map((record) => Object.fromEntries(header.map((column, i) => [column, record[i] ?? ''])));
    tables[name] = rows;
    for (const field of fields) {
      const seen = new Set<string>();
      rows.forEach((row, i) => {
        const value = row[field.name] ?? '';
        if (MISSING.has(value)) {
          if (field.required) problems.push(`${name} row ${i + 1}: ${field.name} is required`);
          return;
        }
        const problem = valueProblem(field, value);
        if (problem) problems.push(`${name} row ${i + 1}: ${field.name} "${value}" ${problem}`);
        if (field.unique && seen.has(value)) problems.push(`${name} row ${i + 1}: ${field.name} "${value}" repeats`);
        seen.add(value);
      });
    }
  }

  // Foreign keys: media → deployments, observations → deployments and media.
  const deploymentIds = new Set(tables.deployments.map((row) => row.deploymentID));
  const mediaIds = new Set(tables.media.map((row) => row.mediaID));
  tables.media.forEach((row, i) => deploymentIds.has(row.deploymentID) || problems.push(`media row ${i + 1}: unknown deployment ${row.deploymentID}`));
  tables.observations.forEach((row, i) => {
    if (!deploymentIds.has(row.deploymentID)) problems.push(`observations row ${i + 1}: unknown deployment ${row.deploymentID}`);
    if (row.mediaID !== '' && !mediaIds.has(row.mediaID)) problems.push(`observations row ${i + 1}: unknown media ${row.mediaID}`);
    if (row.observationLevel === 'media' && row.mediaID === '') problems.push(`observations row ${i + 1}: a media-level observation without mediaID`);
    if (Date.parse(row.eventEnd) < Date.parse(row.eventStart)) problems.push(`observations row ${i + 1}: ends before it starts`);
  });
  tables.deployments.forEach((row, i) => Date.parse(row.deploymentEnd) < Date.parse(row.deploymentStart) && problems.push(`deployments row ${i + 1}: ends before it starts`));
  // Media files that are part of the package must be in it.
  tables.media.forEach((row, i) => !/^https?:\/\//.test(row.filePath) && !existsSync(join(folder, row.filePath)) && problems.push(`media row ${i + 1}: ${row.filePath} is not in the package`));
  return { problems, descriptor, tables };
}
