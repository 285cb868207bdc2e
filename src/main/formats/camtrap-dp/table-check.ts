import { parse } from 'csv-parse/sync';

/**
 * The part of Frictionless Table Schema (specs.frictionlessdata.io/table-schema) that Camtrap DP's
 * schemas use: field types string, number, integer, boolean, datetime and any; constraints required,
 * unique, enum, minimum, maximum and pattern; missingValues; primaryKey and foreignKeys. pairx checks the
 * packages it writes with it, against the standard's own schema files (schemas-1.0.2/).
 */

export interface FieldSchema {
  name: string;
  type: string;
  format?: string;
  constraints?: { required?: boolean; unique?: boolean; enum?: string[]; minimum?: number; maximum?: number; pattern?: string };
}

export interface TableSchema {
  name: string;
  fields: FieldSchema[];
  missingValues?: string[];
  primaryKey?: string | string[];
  foreignKeys?: { fields: string | string[]; reference: { resource: string; fields: string | string[] } }[];
}

/** One table of a package: its schema and its CSV text. */
export interface TableText {
  schema: TableSchema;
  file: string;
  text: string;
}

// Table Schema's lexical forms: a decimal number (optionally with exponent), an integer, the boolean words.
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const BOOLEAN = new Set(['true', 'false', 'True', 'False', 'TRUE', 'FALSE', '1', '0']);
/** The schemas' datetime format `%Y-%m-%dT%H:%M:%S%z`: a time zone designator is required. */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:?\d{2})$/;

function validDatetime(value: string): boolean {
  const match = DATETIME.exec(value);
  if (!match) return false;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= days && hour <= 23 && minute <= 59 && second <= 59;
}

/** Why a non-missing value is not of its field's type and constraints, or null. */
function fieldProblem(field: FieldSchema, value: string): string | null {
  const constraints = field.constraints ?? {};
  let number: number | null = null;
  switch (field.type) {
    case 'number':
      if (!NUMBER.test(value)) return `"${value}" is not a number`;
      number = Number(value);
      break;
    case 'integer':
      if (!INTEGER.test(value)) return `"${value}" is not an integer`;
      number = Number(value);
      break;
    case 'boolean':
      if (!BOOLEAN.has(value)) return `"${value}" is not a boolean`;
      break;
    case 'datetime':
      if (!validDatetime(value)) return `"${value}" is not a date and time with a time zone (${field.format ?? 'ISO 8601'})`;
      break;
    case 'string':
    case 'any':
      break;
    default:
      return `field type ${field.type} is not known to this checker`;
  }
  if (constraints.enum && !constraints.enum.includes(value)) return `"${value}" is not one of ${constraints.enum.join(', ')}`;
  if (number !== null && constraints.minimum !== undefined && number < constraints.minimum) return `${value} is below the minimum ${constraints.minimum}`;
  if (number !== null && constraints.maximum !== undefined && number > constraints.maximum) return `${value} is above the maximum ${constraints.maximum}`;
  if (constraints.pattern && !new RegExp(`^(?:${constraints.pattern})$`).test(value)) return `"${value}" does not match the pattern ${constraints.pattern}`;
  return null;
}

const asList = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

/**
 * Problems of a package's tables: header, types, constraints, primary and foreign keys. Each problem
 * names the file, line and field; at most `limit` are returned.
 */
export function checkTables(tables: TableText[], limit = 20): string[] {
  const problems: string[] = [];
  const add = (problem: string) => problems.length < limit && problems.push(problem);
  const values = new Map<string, Map<string, Set<string>>>();

  for (const { schema, file, text } of tables) {
    const missing = new Set(schema.missingValues ?? ['']);
    let records: string[][];
    try {
      records = parse(text, { bom: true, relax_column_count: false }) as string[][];
    } catch (error) {
      add(`${file}: not a readable CSV file (${(error as Error).message})`);
      continue;
    }
    const header = records[0] ?? [];
    const names = schema.fields.map((field) => field.name);
    if (header.join(',') !== names.join(',')) add(`${file}: its columns are not the schema's (${names.join(', ')})`);
    const columns = new Map<string, Set<string>>();
    values.set(schema.name, columns);
    schema.fields.forEach((field, index) => {
      const seen = new Set<string>();
      columns.set(field.name, seen);
      records.slice(1).forEach((record, row) => {
        const value = record[index] ?? '';
        const where = `${file} line ${row + 2}, ${field.name}`;
        if (missing.has(value)) {
          if (field.constraints?.required) add(`${where}: required, but empty`);
          return;
        }
        const problem = fieldProblem(field, value);
        if (problem) add(`${where}: ${problem}`);
        if ((field.constraints?.unique || asList(schema.primaryKey ?? []).includes(field.name)) && seen.has(value)) add(`${where}: "${value}" is not unique`);
        seen.add(value);
      });
    });
  }

  for (const { schema, file, text } of tables) {
    const missing = new Set(schema.missingValues ?? ['']);
    for (const key of schema.foreignKeys ?? []) {
      const [field] = asList(key.fields);
      const [target] = asList(key.reference.fields);
      const referenced = values.get(key.reference.resource)?.get(target);
      if (!referenced) {
        add(`${file}: its foreign key ${field} names the resource ${key.reference.resource}, which the package lacks`);
        continue;
      }
      const records = parse(text, { bom: true, columns: true }) as Record<string, string>[];
      records.forEach((record, row) => {
        const value = record[field] ?? '';
        if (!missing.has(value) && !referenced.has(value)) add(`${file} line ${row + 2}, ${field}: "${value}" is not a ${key.reference.resource}.${target}`);
      });
    }
  }
  return problems;
}
