/**
 * Re-identification metrics as the model card reports them: each photo is a query against all other
 * photos of the same flank side; rank-1 is whether the most similar one shows the same individual, and
 * average precision ranks every photo of that individual. Queries with no other photo of their
 * individual and side are skipped.
 */
export interface LabelledEmbedding {
  name: string;
  side: string | null;
  embedding: Float32Array;
}

export interface ReidMetrics {
  rank1: number;
  mAP: number;
  queries: number;
  skipped: number;
}

function normalised(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return v.map((x) => x / norm);
}

export function reidMetrics(items: LabelledEmbedding[]): ReidMetrics {
  const units = items.map((i) => normalised(i.embedding));
  let hits = 0;
  let apSum = 0;
  let queries = 0;
  let skipped = 0;
  items.forEach((query, q) => {
    const gallery = items
      .map((item, g) => ({ item, g }))
      .filter(({ item, g }) => g !== q && (query.side === null || item.side === null || item.side === query.side));
    const positives = gallery.filter(({ item }) => item.name === query.name).length;
    if (positives === 0) {
      skipped++;
      return;
    }
    const ranked = gallery
      .map(({ item, g }) => {
        let dot = 0;
        for (let i = 0; i < units[q].length; i++) dot += units[q][i] * units[g][i];
        return { same: item.name === query.name, similarity: dot };
      })
      .sort((a, b) => b.similarity - a.similarity);
    queries++;
    if (ranked[0].same) hits++;
    let found = 0;
    let precisionSum = 0;
    ranked.forEach((r, rank) => {
      if (!r.same) return;
      found++;
      precisionSum += found / (rank + 1);
    });
    apSum += precisionSum / positives;
  });
  return { rank1: queries ? hits / queries : 0, mAP: queries ? apSum / queries : 0, queries, skipped };
}
