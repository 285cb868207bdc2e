import type { ModelEntry } from '../../shared/api.ts';

interface Props {
  models: ModelEntry[] | undefined;
  busy: boolean;
  onSelect: (model: ModelEntry) => void;
  /** Lists a model's layers (by path: `models.layers` takes a path). */
  onShowLayers: (path: string) => void;
}

/** The catalog's models: which one is active, their input, embedding and default layer. */
export function ModelsTable({ models, busy, onSelect, onShowLayers }: Props) {
  return (
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
        {models?.map((model) => (
          <tr key={model.id} className={model.active ? 'active' : undefined}>
            <td>
              <input
                type="radio"
                name="active-model"
                checked={model.active}
                aria-label={`Use ${model.name}`}
                disabled={busy}
                onChange={() => onSelect(model)}
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
              <button type="button" className="small" onClick={() => onShowLayers(model.path)}>
                Layers
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
