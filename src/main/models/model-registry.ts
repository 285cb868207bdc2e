import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelEntry, WorkbenchSettings } from '../../shared/api.ts';
import type { SettingsStore } from '../catalog/store/settings.ts';
import { PairxError } from '../errors.ts';
import { PROVIDER_CHOICES, type ProviderChoice } from '../onnx/session.ts';
import { ReidModel } from './reid-model.ts';
import { defaultModelPath, NoDefaultModelError } from './default-model.ts';

/**
 * The models a catalog knows (the bundled default plus any a user added), which one is active, and
 * the execution provider asked for. Paths and choices live in the catalog's settings; loaded models
 * (compiled relevance graphs, sessions) are kept for the life of the workbench.
 */
export class ModelRegistry {
  private readonly loaded = new Map<string, Promise<ReidModel>>();
  private lastProvider: string | null = null;

  constructor(private readonly settings: SettingsStore) {}

  private bundled(): string | undefined {
    try {
      return defaultModelPath();
    } catch (error) {
      if (error instanceof NoDefaultModelError) return undefined;
      throw error;
    }
  }

  paths(): string[] {
    const added = this.settings.get<string[]>('addedModels') ?? [];
    const bundled = this.bundled();
    return [...new Set([...(bundled ? [bundled] : []), ...added])];
  }

  get provider(): ProviderChoice {
    return this.settings.get<ProviderChoice>('provider') ?? 'auto';
  }

  activePath(): string {
    const chosen = this.settings.get<string>('activeModelPath');
    if (chosen && existsSync(chosen)) return chosen;
    const first = this.paths()[0];
    if (!first) throw new NoDefaultModelError('no default model is installed; add one in Settings or with `models.add`');
    return first;
  }

  /** A model loaded once per path and provider (the catalog's provider unless another is asked for). */
  load(path: string, provider: ProviderChoice = this.provider): Promise<ReidModel> {
    const key = `${resolve(path)}|${provider}`;
    let model = this.loaded.get(key);
    if (!model) {
      model = ReidModel.load(path, { provider });
      model.catch(() => this.loaded.delete(key));
      this.loaded.set(key, model);
    }
    return model;
  }

  /** The models loaded so far (those that loaded), to release their sessions. */
  async loadedModels(): Promise<ReidModel[]> {
    const settled = await Promise.allSettled(this.loaded.values());
    return settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  }

  active(): Promise<ReidModel> {
    return this.load(this.activePath());
  }

  /** Loads a model to validate it (and its card), then remembers it. */
  async add(path: string): Promise<ModelEntry> {
    const absolute = resolve(path);
    const model = await this.load(absolute);
    const added = this.settings.get<string[]>('addedModels') ?? [];
    if (!added.includes(absolute)) this.settings.set('addedModels', [...added, absolute]);
    return this.entry(absolute, model);
  }

  /** A known model by id or path; an unknown path is loaded as it is. */
  async find(idOrPath: string): Promise<ReidModel> {
    for (const path of this.paths()) {
      const model = await this.load(path);
      if (model.id === idOrPath || path === resolve(idOrPath)) return model;
    }
    if (existsSync(idOrPath)) return this.load(idOrPath);
    throw new PairxError('not-found', `no model '${idOrPath}' is known to this catalog (add it first)`);
  }

  async select(idOrPath: string): Promise<ModelEntry> {
    for (const path of this.paths()) {
      const model = await this.load(path);
      if (model.id === idOrPath || path === resolve(idOrPath)) {
        this.settings.set('activeModelPath', path);
        return this.entry(path, model);
      }
    }
    throw new PairxError('not-found', `no model '${idOrPath}' is known to this catalog (add it first)`);
  }

  async list(): Promise<ModelEntry[]> {
    const active = this.paths().length ? this.activePath() : undefined;
    return Promise.all(this.paths().map(async (path) => this.entry(path, await this.load(path), path === active)));
  }

  private entry(path: string, model: ReidModel, active = path === this.activePath()): ModelEntry {
    return {
      id: model.id,
      name: model.card.name,
      path,
      inputWidth: model.card.input.width,
      inputHeight: model.card.input.height,
      embeddingDim: model.embeddingDim,
      defaultLayer: model.defaultLayer,
      active,
    };
  }

  /** Records the provider a run reported, so settings can show what is really in use. */
  noteProvider(provider: string): void {
    this.lastProvider = provider;
  }

  settingsView(): WorkbenchSettings {
    let activeModel: string | null = null;
    try {
      activeModel = this.activePath();
    } catch {
      activeModel = null;
    }
    return {
      reviewer: this.settings.get<string>('reviewer') ?? null,
      provider: this.provider,
      providerInUse: this.lastProvider,
      activeModel,
    };
  }

  update(changes: { reviewer?: string; provider?: string }): WorkbenchSettings {
    if (changes.reviewer !== undefined) this.settings.set('reviewer', changes.reviewer);
    if (changes.provider !== undefined) {
      if (!(PROVIDER_CHOICES as readonly string[]).includes(changes.provider)) {
        throw new PairxError('invalid-arguments', `unknown execution provider '${changes.provider}' (choose ${PROVIDER_CHOICES.join(', ')})`);
      }
      this.settings.set('provider', changes.provider);
    }
    return this.settingsView();
  }
}
