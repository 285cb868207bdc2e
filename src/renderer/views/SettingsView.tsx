import { useEffect, useState } from 'react';
import type { FrontMode } from '../../shared/app-api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import type { ExplainChoice } from '../lib/explain-settings.ts';
import { isSpatialLayer } from '../lib/layers.ts';
import { useCall, useClient } from '../lib/use-client.ts';

interface Props {
  mode: FrontMode;
  choice: ExplainChoice;
  onChoice: (change: Partial<ExplainChoice>) => void;
  onReviewer: (name: string | null) => void;
  onModelChanged: () => void;
}

const PROVIDERS = ['auto', 'cpu', 'cuda', 'dml', 'coreml'];

/** Models (add, choose, their layers), the execution provider, the reviewer's name. */
export function SettingsView({ mode, choice, onChoice, onReviewer, onModelChanged }: Props) {
  const client = useClient();
  const settings = useCall('settings.get', {}, []);
  const models = useCall('models.list', {}, []);
  const [reviewer, setReviewer] = useState('');
  const [modelPath, setModelPath] = useState('');
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
              {PROVIDERS.map((provider) => (
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
      <table className="models">
        <thead>
          <tr>
            <th>Active</th>
            <th>Name</th>
            <th>Input</th>
            <th>Embedding</th>
            <th>Default layer</th>
            <th>File</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {models.data?.map((model) => (
            <tr key={model.id} className={model.active ? 'active' : undefined}>
              <td>
                <input
                  type="radio"
                  name="active-model"
                  checked={model.active}
                  aria-label={`Use ${model.name}`}
                  disabled={busy}
                  onChange={() =>
                    void act(`${model.name} is the active model`, async () => {
                      await client.call('models.select', { id: model.id });
                      models.reload();
                      settings.reload();
                      onModelChanged();
                    })
                  }
                />
              </td>
              <td>{model.name}</td>
              <td>
                {model.inputWidth}×{model.inputHeight}
              </td>
              <td>{model.embeddingDim}</td>
              <td>{model.defaultLayer}</td>
              <td className="path" title={model.path}>
                {model.path}
              </td>
              <td>
                <button type="button" className="small" onClick={() => setLayersOf(model.path)}>
                  Layers
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void act('Model added', async () => {
            const added = await client.call('models.add', { path: modelPath.trim() });
            setModelPath('');
            models.reload();
            setLayersOf(added.path);
          });
        }}
      >
        <label>
          Add a model{' '}
          <input
            type="text"
            value={modelPath}
            onChange={(event) => setModelPath(event.target.value)}
            placeholder={
              mode === 'electron'
                ? '/path/to/model.onnx or a folder with card.json'
                : 'path on the server machine: model.onnx or folder with card.json'
            }
            spellCheck={false}
          />
        </label>
        <button type="submit" disabled={busy || !modelPath.trim()}>
          Add
        </button>
      </form>

      {layersOf && (
        <>
          <h2>
            Layers <span className="muted">{models.data?.find((m) => m.path === layersOf)?.name}</span>
          </h2>
          <ErrorNotice error={layers.error} action="Listing layers" onRetry={layers.reload} />
          {layers.data && (
            <>
              <p className="muted">
                Pair view layer: <strong>{choice.layer || `default (${layers.data.default})`}</strong>
                {choice.layer && (
                  <button type="button" className="small" onClick={() => onChoice({ layer: '' })}>
                    Use the model’s default
                  </button>
                )}
              </p>
              <ul className="layers" aria-label="Layers">
                {layers.data.layers.map((layer) => (
                  <li key={layer.key} style={{ paddingLeft: `${Math.max(0, layer.depth - 1) * 1.2}em` }}>
                    <code>{layer.key}</code> <span className="muted">[{layer.shape.join('×')}]</span>
                    {layer.key === layers.data!.default && <span className="badge">default</span>}
                    {isSpatialLayer(layer) && layersOf === activeModel?.path && (
                      <button
                        type="button"
                        className="small use-layer"
                        disabled={choice.layer === layer.key}
                        aria-label={`Use ${layer.key} in the pair view`}
                        onClick={() => onChoice({ layer: layer.key })}
                      >
                        {choice.layer === layer.key ? 'in use' : 'use'}
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}
