import { useEffect, useState } from 'react';
import { PROVIDER_CHOICES } from '../../shared/api.ts';
import type { FrontMode } from '../../shared/app-api.ts';
import { AddModelForm } from '../components/AddModelForm.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { EvaluatePanel } from '../components/EvaluatePanel.tsx';
import { LayerList } from '../components/LayerList.tsx';
import { ModelsTable } from '../components/ModelsTable.tsx';
import { ReviewersTable } from '../components/ReviewersTable.tsx';
import type { ExplainChoice } from '../lib/explain-settings.ts';
import { useCall, useClient } from '../lib/use-client.ts';

interface Props {
  mode: FrontMode;
  choice: ExplainChoice;
  onChoice: (change: Partial<ExplainChoice>) => void;
  onReviewer: (name: string | null) => void;
  onModelChanged: () => void;
}


/** Models (add, choose, their layers), the execution provider, the reviewer's name. */
export function SettingsView({ mode, choice, onChoice, onReviewer, onModelChanged }: Props) {
  const client = useClient();
  const settings = useCall('settings.get', {}, []);
  const models = useCall('models.list', {}, []);
  const reviewers = useCall('reviewers.list', {}, []);
  const [reviewer, setReviewer] = useState('');
  /** The model (by path: `models.layers` takes a path) whose layers are listed. */
  const [layersOf, setLayersOf] = useState<string | null>(null);
  const layers = useCall('models.layers', layersOf ? { model: layersOf } : null, [layersOf]);
  const [error, setError] = useState<Error | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (settings.data) setReviewer(settings.data.reviewer ?? '');
  }, [settings.data]);

  useEffect(() => {
    const active = models.data?.find((model) => model.active);
    if (active && layersOf === null) setLayersOf(active.path);
  }, [models.data, layersOf]);

  const act = async (what: string, work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await work();
      setNotice(what);
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };

  const activeModel = models.data?.find((model) => model.active) ?? null;

  return (
    <section className="settings-view">
      <h1>Settings</h1>
      <ErrorNotice error={error} action="The change" />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}

      <h2>Reviewer</h2>
      <ErrorNotice error={settings.error} action="Reading the settings" onRetry={settings.reload} />
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void act('Reviewer saved', async () => {
            const name = reviewer.trim() || null;
            await client.call('settings.set', { reviewer: name ?? '' });
            onReviewer(name);
          });
        }}
      >
        <label>
          Name recorded with each decision{' '}
          <input
            type="text"
            value={reviewer}
            onChange={(event) => setReviewer(event.target.value)}
            placeholder="your name"
          />
        </label>
        <button type="submit" disabled={busy}>
          Save
        </button>
      </form>

      <h2>Reviewers</h2>
      <p className="hint">
        Every answer is evidence weighing as much as its reviewer is right: the accuracy is estimated from how often the
        evidence overturns a reviewer’s answers (starting at 95 %), or set here. Leave the field empty to estimate it again.
      </p>
      <ErrorNotice error={reviewers.error} action="Listing reviewers" onRetry={reviewers.reload} />
      <ReviewersTable
        reviewers={reviewers.data}
        busy={busy}
        onSet={(name, accuracy) =>
          void act(accuracy === null ? `${name ?? 'no name'}: accuracy estimated again` : `${name ?? 'no name'}: accuracy ${accuracy}`, async () => {
            await client.call('reviewers.set', { reviewer: name, accuracy });
            reviewers.reload();
            onModelChanged();
          })
        }
      />

      <h2>Execution provider</h2>
      {settings.data && (
        <div className="inline-form">
          <label>
            Preferred
            <select
              value={settings.data.provider ?? 'auto'}
              onChange={(event) =>
                void act('Provider saved; it applies to the next model loaded', async () => {
                  await client.call('settings.set', { provider: event.target.value });
                  settings.reload();
                })
              }
            >
              {PROVIDER_CHOICES.map((provider) => (
                <option key={provider} value={provider}>
                  {provider}
                </option>
              ))}
            </select>
          </label>
          <span>
            In use: <strong>{settings.data.providerInUse ?? 'no model loaded yet'}</strong>
          </span>
        </div>
      )}

      <h2>Models</h2>
      <ErrorNotice error={models.error} action="Listing models" onRetry={models.reload} />
      <ModelsTable
        models={models.data}
        busy={busy}
        onSelect={(model) =>
          void act(`${model.name} is the active model`, async () => {
            await client.call('models.select', { id: model.id });
            models.reload();
            settings.reload();
            onModelChanged();
          })
        }
        onShowLayers={setLayersOf}
      />
      <AddModelForm
        mode={mode}
        busy={busy}
        onAdd={(path, added) =>
          void act('Model added', async () => {
            const model = await client.call('models.add', { path });
            added();
            models.reload();
            setLayersOf(model.path);
          })
        }
      />

      <h2>How good is the model on these photos?</h2>
      <EvaluatePanel />

      {layersOf && (
        <>
          <h2>
            Layers <span className="muted">{models.data?.find((m) => m.path === layersOf)?.name}</span>
          </h2>
          <ErrorNotice error={layers.error} action="Listing layers" onRetry={layers.reload} />
          {layers.data && (
            <LayerList
              layers={layers.data}
              choice={choice}
              onChoice={onChoice}
              usable={layersOf === activeModel?.path}
            />
          )}
        </>
      )}
    </section>
  );
}
