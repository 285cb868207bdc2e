import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { PairxError } from '../errors.ts';
import { LayerLayoutSchema } from './layer-layout.ts';
import { CalibrationWeights } from '../../shared/api.ts';

/**
 * A model card: the JSON beside an .onnx file that says how to feed it (input size, mean/std), which
 * output is the embedding, which layer PAIR-X explains by default, and where it came from.
 */
export const ModelCardSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  file: z.string().default('model.onnx'),
  input: z.object({
    name: z.string().default('image'),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    mean: z.tuple([z.number(), z.number(), z.number()]).default([0.485, 0.456, 0.406]),
    std: z.tuple([z.number(), z.number(), z.number()]).default([0.229, 0.224, 0.225]),
    channelOrder: z.enum(['RGB']).default('RGB'),
    resize: z.string().optional(),
  }),
  embedding: z.object({ name: z.string().default('embedding'), dim: z.number().int().positive().optional() }),
  defaultLayer: z.string().optional(),
  layers: z.array(z.string()).optional(),
  /** Layouts of layers (by module key or tensor) where the graph cannot tell, e.g. `{layout: 'NHWC'}`. */
  layouts: z.record(z.string(), LayerLayoutSchema).optional(),
  source: z.record(z.string(), z.unknown()).optional(),
  training: z.record(z.string(), z.unknown()).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
  /** The review queue's prior for "same individual" given a pair's similarity (`pairx evaluate --calibrate`). */
  calibration: CalibrationWeights.optional(),
});
export type ModelCard = z.infer<typeof ModelCardSchema>;

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/** A model file or card that cannot be used (unsupported), or that is not there (not found). */
export class ModelCardError extends PairxError {
  constructor(message: string, kind: 'unsupported-model' | 'not-found' = 'unsupported-model') {
    super(kind, message);
  }
}

export interface ModelLocation {
  onnxPath: string;
  cardPath?: string;
  card?: ModelCard;
}

function readCard(path: string): ModelCard {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ModelCardError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = ModelCardSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelCardError(`${path}: invalid model card at '${issue.path.join('.')}': ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Finds the ONNX file and its card. `spec` is a folder holding `card.json` (and the .onnx it names, or
 * `model.onnx`), or an .onnx file with an optional `<name>.card.json` or `card.json` beside it.
 */
export function locateModel(spec: string): ModelLocation {
  const path = resolve(spec);
  if (!existsSync(path)) throw new ModelCardError(`${spec}: no such model file or folder`, 'not-found');
  if (statSync(path).isDirectory()) {
    const cardPath = join(path, 'card.json');
    const card = existsSync(cardPath) ? readCard(cardPath) : undefined;
    const onnxPath = join(path, card?.file ?? 'model.onnx');
    if (!existsSync(onnxPath)) throw new ModelCardError(`${spec}: the folder has no ${basename(onnxPath)}`, 'not-found');
    return { onnxPath, cardPath: card ? cardPath : undefined, card };
  }
  const stem = basename(path).replace(/\.onnx$/i, '');
  for (const candidate of [join(dirname(path), `${stem}.card.json`), join(dirname(path), 'card.json')]) {
    if (existsSync(candidate)) {
      const card = readCard(candidate);
      if (resolve(dirname(candidate), card.file) === path || candidate.endsWith('.card.json')) {
        return { onnxPath: path, cardPath: candidate, card };
      }
    }
  }
  return { onnxPath: path };
}
