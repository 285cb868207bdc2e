import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PROVIDER_CHOICES, type ProviderChoice } from '../../shared/api.ts';
import type { TensorData } from './ir.ts';
import { PairxError } from '../errors.ts';

/**
 * The one module that talks to onnxruntime-node: session creation with execution-provider choice,
 * and runs with plain typed arrays in and out. Nothing else imports the runtime.
 */

// The choices are part of the API contract (settings); the table from choice to provider is here.
export { PROVIDER_CHOICES, type ProviderChoice };
export type ProviderName = Exclude<ProviderChoice, 'auto'>;

/** The accelerated provider worth trying first on each platform; CPU is always the fallback. */
const PLATFORM_ACCELERATOR: Partial<Record<NodeJS.Platform, ProviderName>> = {
  linux: 'cuda',
  win32: 'dml',
  darwin: 'coreml',
};

export interface NamedArray {
  data: TensorData;
  dims: number[];
}

export class ProviderUnavailableError extends PairxError {
  constructor(message: string) {
    super('unsupported-model', message);
  }
}

export interface Session {
  readonly provider: ProviderName;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, NamedArray>, fetches?: string[]): Promise<Record<string, NamedArray>>;
  release(): Promise<void>;
}

/**
 * Whether an accelerator's provider is there to try: bundled with onnxruntime-node (DirectML, CoreML),
 * or installed next to it (CUDA, fetched by `--onnxruntime-node-install=cuda12`). Trying a missing one
 * makes the runtime print errors, so `auto` looks first.
 */
function acceleratorPresent(provider: ProviderName): boolean {
  const backend = ort.listSupportedBackends?.().find((b) => b.name === provider);
  if (backend?.bundled) return true;
  if (provider !== 'cuda') return false;
  try {
    const root = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    return existsSync(join(root, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

function candidates(choice: ProviderChoice): ProviderName[] {
  if (choice !== 'auto') return [choice];
  const accelerator = PLATFORM_ACCELERATOR[process.platform];
  return accelerator && acceleratorPresent(accelerator) ? [accelerator, 'cpu'] : ['cpu'];
}

function toOrtTensor(value: NamedArray): ort.Tensor {
  const { data, dims } = value;
  if (data instanceof Float32Array) return new ort.Tensor('float32', data, dims);
  if (data instanceof BigInt64Array) return new ort.Tensor('int64', data, dims);
  if (data instanceof Int32Array) return new ort.Tensor('int32', data, dims);
  if (data instanceof Int8Array) return new ort.Tensor('int8', data, dims);
  return new ort.Tensor('uint8', data, dims);
}

function fromOrtTensor(name: string, value: ort.OnnxValue): NamedArray {
  const tensor = value as ort.Tensor;
  const data = tensor.data;
  if (
    data instanceof Float32Array ||
    data instanceof BigInt64Array ||
    data instanceof Int32Array ||
    data instanceof Int8Array ||
    data instanceof Uint8Array
  ) {
    return { data, dims: [...tensor.dims] };
  }
  throw new Error(`output ${name} has element type ${tensor.type}, which this program does not read`);
}

/**
 * Creates a session on the first provider of `choice` that loads. With `auto`, an accelerator that is
 * missing (no CUDA libraries, say) falls back to CPU; an explicit choice that fails is an error.
 */
export async function createSession(
  model: Uint8Array,
  choice: ProviderChoice = 'auto',
  options: { optimization?: 'disabled' | 'basic' | 'extended' | 'all' } = {},
): Promise<Session> {
  const failures: string[] = [];
  for (const provider of candidates(choice)) {
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        graphOptimizationLevel: options.optimization ?? 'all',
        logSeverityLevel: 3,
        // Idle worker threads sleep instead of spinning: the workbench shares the cores with the
        // window, the server and image decoding, which spinning threads would starve.
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      });
      return wrap(session, provider);
    } catch (error) {
      failures.push(`${provider}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (choice === 'auto') throw new ProviderUnavailableError(`no execution provider could load the model (${failures.join('; ')})`);
  throw new ProviderUnavailableError(`execution provider '${choice}' is not available here (${failures.join('; ')})`);
}

function wrap(session: ort.InferenceSession, provider: ProviderName): Session {
  return {
    provider,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, fetches) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, value] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(value);
      const results = fetches ? await session.run(ortFeeds, fetches) : await session.run(ortFeeds);
      const out: Record<string, NamedArray> = {};
      for (const [name, value] of Object.entries(results)) out[name] = fromOrtTensor(name, value);
      return out;
    },
    release: () => session.release(),
  };
}
