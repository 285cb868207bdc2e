import type { AnnotationFilter, SideFilter } from '../lib/annotation-filter.ts';

interface Props {
  filter: AnnotationFilter;
  onChange: (change: Partial<AnnotationFilter>) => void;
  shown: number;
  /** All annotations, or null while they load. */
  total: number | null;
}

/** The catalog grid's filters: side, name or file, unnamed only. */
export function AnnotationFilters({ filter, onChange, shown, total }: Props) {
  return (
    <div className="filters" role="group" aria-label="Filters">
      <label>
        Side
        <select value={filter.side} onChange={(e) => onChange({ side: e.target.value as SideFilter })}>
          <option value="all">all</option>
          <option value="left">left</option>
          <option value="right">right</option>
          <option value="unknown">unknown</option>
        </select>
      </label>
      <label>
        Name or file{' '}
        <input
          type="search"
          value={filter.text}
          onChange={(e) => onChange({ text: e.target.value })}
          placeholder="filter"
        />
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={filter.unnamedOnly}
          onChange={(e) => onChange({ unnamedOnly: e.target.checked })}
        />{' '}
        unnamed only
      </label>
      <span className="muted">{total !== null ? `${shown} of ${total} annotations` : 'loading…'}</span>
    </div>
  );
}
