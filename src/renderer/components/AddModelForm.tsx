import { useState } from 'react';
import type { FrontMode } from '../../shared/app-api.ts';

interface Props {
  mode: FrontMode;
  busy: boolean;
  /** Adds the model at `path`; `added` clears the field once it is in. */
  onAdd: (path: string, added: () => void) => void;
}

/** A model file or folder to add (a path on the machine that runs the workbench). */
export function AddModelForm({ mode, busy, onAdd }: Props) {
  const [modelPath, setModelPath] = useState('');
  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        onAdd(modelPath.trim(), () => setModelPath(''));
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
  );
}
