import type { PairMatchesPayload } from '../../shared/explanation.ts';
import { lineColor } from '../lib/overlays.ts';

interface Props {
  matches: PairMatchesPayload;
  /** How many matches have pixel maps (kColors), or null while they are computed. */
  pixelMaps: number | null;
  selected: number | null;
  onSelect: (rank: number | null) => void;
  onHover: (rank: number | null) => void;
}

/**
 * The matches drawn as lines, strongest first: colour, relevance (relative to the strongest) and where
 * they are. Hovering or selecting one highlights its line and shows its pixel maps on both photos.
 */
export function MatchList({ matches, pixelMaps, selected, onSelect, onHover }: Props) {
  const shown = matches.matches.slice(0, matches.kLines);
  const top = shown[0]?.relevance || 1;
  if (shown.length === 0) return <p className="muted">No mutual nearest neighbours at this layer.</p>;
  return (
    <ol className="match-list" aria-label="Matches" onMouseLeave={() => onHover(null)}>
      {shown.map((match, rank) => (
        <li key={rank}>
          <button
            type="button"
            className={rank === selected ? 'match selected' : 'match'}
            aria-pressed={rank === selected}
            onMouseEnter={() => onHover(rank)}
            onFocus={() => onHover(rank)}
            onBlur={() => onHover(null)}
            onClick={() => onSelect(rank === selected ? null : rank)}
            title={`feature (${match.coord0.join(', ')}) ↔ (${match.coord1.join(', ')}), distance ${match.distance.toFixed(2)}`}
          >
            <span className="swatch" style={{ background: lineColor(rank) }} />
            <span className="match-rank">{rank + 1}</span>
            <span className="match-bar">
              <span
                style={{
                  width: `${Math.max(2, (100 * match.relevance) / top).toFixed(1)}%`,
                  background: lineColor(rank),
                }}
              />
            </span>
            <span className="match-value">{(match.relevance / top).toFixed(2)}</span>
            <span className="match-pixels" title={rank < (pixelMaps ?? 0) ? 'has pixel maps' : ''}>
              {pixelMaps === null ? '' : rank < pixelMaps ? '◆' : ''}
            </span>
          </button>
        </li>
      ))}
    </ol>
  );
}
