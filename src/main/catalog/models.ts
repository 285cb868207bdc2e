import { ACTIVE_MODEL_SETTING } from './embed.ts';
import { CatalogError } from './errors.ts';
import type { CatalogStore } from './store/catalog-store.ts';
import type { ModelRecord } from './store/embeddings.ts';

/**
 * The model a command means: the one named (its identity, or a prefix matching exactly one), else the
 * model embedded with last.
 */
export function resolveModel(store: CatalogStore, name?: string): ModelRecord {
  if (name !== undefined) {
    const models = store.embeddings.models();
    const exact = models.find((model) => model.identity === name);
    if (exact) return exact;
    const matching = models.filter((model) => model.identity.startsWith(name));
    if (matching.length === 1) return matching[0];
    const known = models.map((model) => model.identity).join(', ') || 'none';
    throw new CatalogError(
      matching.length === 0 ? `no vectors from a model "${name}" in this catalog (models: ${known})` : `"${name}" matches several models: ${matching.map((m) => m.identity).join(', ')}`,
    );
  }
  const active = store.settings.get<string>(ACTIVE_MODEL_SETTING);
  const model = (active === undefined ? undefined : store.embeddings.model(active)) ?? store.embeddings.latestUsedModel();
  if (!model) throw new CatalogError('this catalog has no embeddings yet (run `pairx catalog embed`)');
  return model;
}
