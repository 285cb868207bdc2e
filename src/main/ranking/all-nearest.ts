import { DataType, type IrModel } from '../onnx/ir.ts';
import { writeModel } from '../onnx/model-proto.ts';
import { createSession, type Session } from '../onnx/session.ts';

/**
 * The nearest neighbours of every vector of a catalog at once, exactly, by cosine similarity: one
 * matrix product per block of queries and a TopK, run by onnxruntime. A review queue needs every
 * annotation's candidates; as one sqlite-vec query each that took 83 s for 10,000 annotations here
 * (each query a scan of the whole model), while the product takes a few seconds.
 */
let session: Promise<Session> | null = null;

function similarityTopK(): IrModel {
  const float = (name: string, shape: (number | string)[]) => ({ name, elemType: DataType.FLOAT, shape });
  return {
    irVersion: 8,
    producerName: 'pairx-workbench',
    opsetImports: [{ domain: '', version: 17 }],
    graph: {
      name: 'all_nearest',
      initializers: new Map(),
      inputs: [
        float('queries', ['b', 'd']),
        float('catalog', ['n', 'd']),
        { name: 'k', elemType: DataType.INT64, shape: [1] },
      ],
      outputs: [
        float('similarities', ['b', 'k']),
        { name: 'indices', elemType: DataType.INT64, shape: ['b', 'k'] },
      ],
      nodes: [
        {
          // transB spares a transpose of the whole catalog per block of queries.
          name: 'scores',
          opType: 'Gemm',
          domain: '',
          inputs: ['queries', 'catalog'],
          outputs: ['scores'],
          attributes: { transB: { kind: 'int', value: 1 } },
        },
        {
          name: 'top',
          opType: 'TopK',
          domain: '',
          inputs: ['scores', 'k'],
          outputs: ['similarities', 'indices'],
          attributes: {
            axis: { kind: 'int', value: 1 },
            largest: { kind: 'int', value: 1 },
            sorted: { kind: 'int', value: 1 },
          },
        },
      ],
    },
  };
}

/** Each row scaled to unit length (a zero row stays zero), so that dot products are cosine similarities. */
export function normaliseRows(vectors: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(vectors.length);
  for (let row = 0; row < vectors.length / dim; row++) {
    let sum = 0;
    for (let i = row * dim; i < (row + 1) * dim; i++) sum += vectors[i] * vectors[i];
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let i = row * dim; i < (row + 1) * dim; i++) out[i] = vectors[i] * scale;
  }
  return out;
}

export interface AllNearest {
  /** Per query row, the rows of its `fetch` most similar vectors (itself included), most similar first. */
  indices: Int32Array;
  similarities: Float32Array;
  fetch: number;
}

/**
 * The `fetch` most similar rows of `vectors` ([n, dim], unit rows) to each row of `queries` (row
 * numbers; all rows by default), a query's own row included. Queries go in blocks that keep the score
 * matrix near 64 MB.
 */
export function allNearest(
  vectors: Float32Array,
  dim: number,
  fetch: number,
  queries?: number[],
): Promise<AllNearest> {
  const rows = queries ?? Array.from({ length: vectors.length / dim }, (_, row) => row);
  return searchBlocks(vectors, dim, fetch, rows.length, (start, count) => {
    const batch = new Float32Array(count * dim);
    for (let i = 0; i < count; i++)
      batch.set(vectors.subarray(rows[start + i] * dim, (rows[start + i] + 1) * dim), i * dim);
    return batch;
  });
}

/** The `fetch` most similar rows of `catalog` ([n, dim], unit rows) to each of the unit vectors `queries`. */
export function nearestIn(
  catalog: Float32Array,
  dim: number,
  fetch: number,
  queries: Float32Array,
): Promise<AllNearest> {
  return searchBlocks(catalog, dim, fetch, queries.length / dim, (start, count) =>
    queries.subarray(start * dim, (start + count) * dim),
  );
}

async function searchBlocks(
  catalog: Float32Array,
  dim: number,
  fetch: number,
  queryCount: number,
  queryBlock: (start: number, count: number) => Float32Array,
): Promise<AllNearest> {
  const n = catalog.length / dim;
  const k = Math.min(fetch, n);
  const indices = new Int32Array(queryCount * k);
  const similarities = new Float32Array(queryCount * k);
  if (queryCount === 0 || k === 0) return { indices, similarities, fetch: k };
  session ??= createSession(writeModel(similarityTopK()), 'cpu');
  const run = await session;
  const block = Math.max(1, Math.min(queryCount, Math.floor(16_000_000 / n)));
  for (let start = 0; start < queryCount; start += block) {
    const count = Math.min(block, queryCount - start);
    const out = await run.run({
      queries: { data: queryBlock(start, count), dims: [count, dim] },
      catalog: { data: catalog, dims: [n, dim] },
      k: { data: BigInt64Array.of(BigInt(k)), dims: [1] },
    });
    const found = out.indices.data as BigInt64Array;
    for (let i = 0; i < count * k; i++) indices[start * k + i] = Number(found[i]);
    similarities.set(out.similarities.data as Float32Array, start * k);
  }
  return { indices, similarities, fetch: k };
}
