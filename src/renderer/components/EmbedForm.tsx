import { useState } from 'react';
import type { ModelEntry } from '../../shared/api.ts';
import { useJob } from '../lib/use-client.ts';
import { ErrorNotice } from './ErrorNotice.tsx';
import { ProgressBar } from './ProgressBar.tsx';

interface Props {
  models: ModelEntry[] | undefined;
  onEmbedded: () => void;
}

/** The embedding job with a model of the catalog (the active one unless another is chosen). */
export function EmbedForm({ models, onEmbedded }: Props) {
  const embedJob = useJob('catalog.embed');
  const [embedModel, setEmbedModel] = useState('');
  const activeModel = models?.find((model) => model.active);
  return (
    <form
      className="job"
      onSubmit={async (event) => {
        event.preventDefault();
        const chosen = models?.find((model) => model.id === embedModel);
        const result = await embedJob.start({ model: chosen?.path });
        if (result) onEmbedded();
      }}
    >
      <h2>Compute embeddings</h2>
      <label>
        Model
        <select value={embedModel} onChange={(e) => setEmbedModel(e.target.value)}>
          <option value="">{activeModel ? `active: ${activeModel.name}` : 'the default model'}</option>
          {models?.map((model) => (
            <option key={model.id} value={model.id}>
              {model.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={embedJob.running}>
        Embed
      </button>
      {embedJob.running && (
        <ProgressBar label="Embedding" progress={embedJob.progress} onCancel={embedJob.cancel} />
      )}
      <ErrorNotice error={embedJob.error} action="Embedding" />
      {embedJob.result && (
        <p className="job-result">
          {embedJob.result.cancelled ? 'Cancelled. ' : ''}
          {embedJob.result.embedded} embedded, {embedJob.result.skipped} already done,{' '}
          {embedJob.result.failed} failed
        </p>
      )}
    </form>
  );
}
