import { useMemo, useState } from 'react';
import type { Annotation } from '../../shared/api.ts';
import { AnnotationDetail } from '../components/AnnotationDetail.tsx';
import { AnnotationFilters } from '../components/AnnotationFilters.tsx';
import { AnnotationThumb } from '../components/AnnotationThumb.tsx';
import { CatalogSummary } from '../components/CatalogSummary.tsx';
import { EmbedForm } from '../components/EmbedForm.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { ExportMenu } from '../components/ExportMenu.tsx';
import { ImportForm } from '../components/ImportForm.tsx';
import { IndividualsList } from '../components/IndividualsList.tsx';
import { VirtualGrid } from '../components/VirtualGrid.tsx';
import { filterAnnotations, NO_FILTER, type AnnotationFilter } from '../lib/annotation-filter.ts';
import { useAllAnnotations } from '../lib/use-annotations.ts';
import { useCall } from '../lib/use-client.ts';

interface Props {
  catalog: string;
  /** Called after a job changed the catalog (the review queue reloads). */
  onChanged: () => void;
  /** One individual at a glance. */
  onIndividual: (name: string) => void;
}

/** The open catalog: its summary, the import and embedding jobs, the filtered thumbnail grid, individuals. */
export function CatalogView({ catalog, onChanged, onIndividual }: Props) {
  const [generation, setGeneration] = useState(0);
  const status = useCall('catalog.status', {}, [catalog, generation]);
  const individuals = useCall('individuals.list', {}, [catalog, generation]);
  const models = useCall('models.list', {}, [catalog]);
  const { annotations, error: listError } = useAllAnnotations(generation);
  const [filter, setFilter] = useState<AnnotationFilter>(NO_FILTER);
  const [selected, setSelected] = useState<Annotation | null>(null);

  const changed = () => {
    setGeneration((g) => g + 1);
    onChanged();
  };
  const changeFilter = (change: Partial<AnnotationFilter>) => setFilter((f) => ({ ...f, ...change }));
  const filtered = useMemo(() => filterAnnotations(annotations ?? [], filter), [annotations, filter]);

  return (
    <section className="catalog-view">
      <div className="catalog-main">
        <CatalogSummary status={status.data} error={status.error} onRetry={status.reload} />
        <div className="jobs">
          <ImportForm onImported={changed} />
          <EmbedForm models={models.data} onEmbedded={changed} />
          <ExportMenu />
        </div>
        <AnnotationFilters
          filter={filter}
          onChange={changeFilter}
          shown={filtered.length}
          total={annotations ? annotations.length : null}
        />
        <ErrorNotice error={listError} action="Listing annotations" />
        <VirtualGrid
          label="Annotations"
          items={filtered}
          cellWidth={164}
          cellHeight={178}
          keyOf={(annotation) => annotation.id}
          render={(annotation) => (
            <AnnotationThumb
              annotation={annotation}
              selected={selected?.id === annotation.id}
              onSelect={() => setSelected(annotation)}
            />
          )}
        />
      </div>

      <aside className="catalog-side">
        {selected && <AnnotationDetail annotation={selected} />}
        <IndividualsList
          individuals={individuals.data}
          error={individuals.error}
          onRetry={individuals.reload}
          onPick={(name) => changeFilter({ text: name })}
          onOpen={onIndividual}
        />
      </aside>
    </section>
  );
}
