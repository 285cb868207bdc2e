import type { PublishingSettings } from '../../shared/api.ts';
import type { SettingsStore } from '../catalog/store/settings.ts';

/** What a publication needs to know of the catalog as a whole, kept in the catalog's settings. */
const KEY = 'publishing';

const EMPTY: PublishingSettings = { genus: null, specificEpithet: null, projectTitle: null, samplingDesign: null, captureMethod: null };

export function readPublishing(settings: SettingsStore): PublishingSettings {
  return { ...EMPTY, ...(settings.get<Partial<PublishingSettings>>(KEY) ?? {}) };
}

/** Sets the values given (an empty string clears one) and returns them all. */
export function updatePublishing(settings: SettingsStore, changes: Partial<{ [K in keyof PublishingSettings]: PublishingSettings[K] | '' }>): PublishingSettings {
  const next = { ...readPublishing(settings) } as Record<string, unknown>;
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    next[key] = value === '' || (Array.isArray(value) && value.length === 0) ? null : value;
  }
  settings.set(KEY, next);
  return next as PublishingSettings;
}

/** "Genus epithet", or the genus alone; null when no genus is set. */
export const scientificName = (settings: PublishingSettings): string | null =>
  settings.genus === null ? null : settings.specificEpithet === null ? settings.genus : `${settings.genus} ${settings.specificEpithet}`;
