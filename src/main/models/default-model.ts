import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PairxError } from '../errors.ts';

/** `resources/models` of this checkout or installed app. */
export function modelsFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.PAIRX_MODELS_DIR,
    resolve(here, '../../../resources/models'),
    resolve(here, '../../resources/models'),
    (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath &&
      join((process as NodeJS.Process & { resourcesPath?: string }).resourcesPath!, 'models'),
  ].filter((p): p is string => !!p);
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

export class NoDefaultModelError extends PairxError {
  constructor(message: string) {
    super('not-found', message);
  }
}

/** The bundled default model folder: the first folder under resources/models with a model.onnx. */
export function defaultModelPath(): string {
  const folder = modelsFolder();
  const found = existsSync(folder)
    ? readdirSync(folder, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(folder, d.name, 'model.onnx')))
        .map((d) => join(folder, d.name))
        .sort()
    : [];
  if (found.length === 0) {
    throw new NoDefaultModelError(`no default model is installed (looked in ${folder}); pass --model <file.onnx | folder>`);
  }
  return found[0];
}
