import type Database from 'better-sqlite3';
import type { Box, ModelCount } from '../../../shared/api.ts';
import { CatalogError } from '../errors.ts';
import { statementCache } from './statements.ts';

export interface ModelRecord {
  id: number;
  identity: string;
  dim: number;
}

/** What an embedder needs to compute one annotation's vector. */
export interface PendingAnnotation {
  annotationId: number;
  imagePath: string;
  box: Box | null;
  theta: number;
}

export interface Neighbour {
  annotationId: number;
  /** Cosine distance, 1 - cosine similarity. */
  distance: number;
}

/** sqlite-vec refuses larger k in one KNN query. */
export const MAX_KNN = 4096;

/**
 * Up to this many vectors per model, a query compares against every stored vector (exact cosine KNN
 * in vec0: about 2.5 µs a vector on a busy 2-core machine, so about 50 ms here). Above it, queries
 * go through the sign index first.
 */
export const EXACT_SEARCH_LIMIT = 20_000;

/**
 * Coarse matches fetched per wanted neighbour from the sign index, before exact re-scoring. sqlite-vec's
 * KNN time grows with k, so this trades recall for time. Measured (bench/catalog.bench.ts, 100,000
 * clustered 512-d vectors): 4 finds every true match at 18 ms a query; 8 costs 32 ms and changes
 * little (it reorders the tail of unrelated neighbours).
 */
const SIGN_OVERSAMPLING = 4;

const MODEL_COLUMNS = 'id, identity, dim';

function checkedDim(dim: number): number {
  if (!Number.isInteger(dim) || dim <= 0 || dim > 8192) throw new CatalogError(`unsupported embedding dimension ${dim}`);
  return dim;
}

/**
 * Two vec0 tables per dimension, partitioned by model so that a query scans only its model's rows:
 * - embedding_vectors_<dim>: the float vectors, searched exactly by cosine distance;
 * - embedding_signs_<dim>: one bit per component, whether it lies above the model's mean (binary
 *   quantisation, searched by Hamming distance: about 20× faster). Taken around the mean because raw
 *   signs say little about vectors that all share a direction (features after a ReLU, say). Only for
 *   dimensions divisible by 8, and only built once a model passes EXACT_SEARCH_LIMIT.
 * Table names come from a checked integer, never from input.
 */
const vectorTable = (dim: number): string => `embedding_vectors_${checkedDim(dim)}`;
const signTable = (dim: number): string => `embedding_signs_${checkedDim(dim)}`;
const hasSignIndex = (dim: number): boolean => dim % 8 === 0;

/** One bit per component: 1 where the vector lies above the centre. */
function signBits(vector: Float32Array, center: Float32Array): Buffer {
  const bits = Buffer.alloc(vector.length / 8);
  for (let i = 0; i < vector.length; i++) if (vector[i] > center[i]) bits[i >> 3] |= 1 << (i & 7);
  return bits;
}

const floats = (blob: Buffer): Float32Array => new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
const blobOf = (vector: Float32Array): Buffer => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);

export class EmbeddingsStore {
  private readonly prepare;

  constructor(private readonly db: Database.Database) {
    this.prepare = statementCache(db);
  }

  model(identity: string): ModelRecord | undefined {
    return this.prepare<[string], ModelRecord>(`SELECT ${MODEL_COLUMNS} FROM models WHERE identity = ?`).get(identity);
  }

  /** Models, newest first. */
  models(): ModelRecord[] {
    return this.prepare<[], ModelRecord>(`SELECT ${MODEL_COLUMNS} FROM models ORDER BY id DESC`).all();
  }

  /** The newest model that has any vector. */
  latestUsedModel(): ModelRecord | undefined {
    return this.prepare<[], ModelRecord>(
      `SELECT ${MODEL_COLUMNS} FROM models m WHERE EXISTS (SELECT 1 FROM embeddings e WHERE e.model_id = m.id) ORDER BY id DESC LIMIT 1`,
    ).get();
  }

  counts(): ModelCount[] {
    return this.prepare<[], ModelCount>(
      `SELECT m.identity AS model, m.dim, count(e.id) AS embedded FROM models m LEFT JOIN embeddings e ON e.model_id = m.id GROUP BY m.id ORDER BY m.id DESC`,
    ).all();
  }

  /** The model row for an embedder, created (with its vec0 tables) on first use. */
  register(identity: string, dim: number): ModelRecord {
    const existing = this.model(identity);
    if (existing) {
      if (existing.dim !== dim) {
        throw new CatalogError(`model ${identity} was stored with ${existing.dim}-dimensional vectors, but now gives ${dim}`);
      }
      return existing;
    }
    this.db.exec(
      `CREATE VIRTUAL TABLE IF NOT EXISTS ${vectorTable(dim)} USING vec0(model_id integer partition key, embedding float[${dim}] distance_metric=cosine)`,
    );
    if (hasSignIndex(dim)) {
      this.db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${signTable(dim)} USING vec0(model_id integer partition key, signs bit[${dim}])`);
    }
    const { lastInsertRowid } = this.prepare('INSERT INTO models (identity, dim, created_at) VALUES (?, ?, ?)').run(identity, dim, new Date().toISOString());
    return { id: Number(lastInsertRowid), identity, dim };
  }

  /** Annotations without a vector from this model, in id order, after `afterId`. */
  pending(modelId: number, afterId: number, limit: number): PendingAnnotation[] {
    return this.prepare<[number, number, number], { id: number; path: string; x: number | null; y: number; w: number; h: number; theta: number }>(
      `SELECT a.id, i.path, a.x, a.y, a.w, a.h, a.theta FROM annotations a JOIN images i ON i.id = a.image_id
       WHERE a.id > ? AND a.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model_id = ? AND e.annotation_id = a.id)
       ORDER BY a.id LIMIT ?`,
    )
      .all(afterId, modelId, limit)
      .map((row) => ({
        annotationId: row.id,
        imagePath: row.path,
        box: row.x === null ? null : { x: row.x, y: row.y, w: row.w, h: row.h },
        theta: row.theta,
      }));
  }

  pendingCount(modelId: number): number {
    return this.prepare<[number], { n: number }>(
      'SELECT count(*) AS n FROM annotations a WHERE a.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model_id = ? AND e.annotation_id = a.id)',
    ).get(modelId)!.n;
  }

  count(modelId: number): number {
    return this.prepare<[number], { n: number }>('SELECT count(*) AS n FROM embeddings WHERE model_id = ?').get(modelId)!.n;
  }

  private signCenter(modelId: number): Float32Array | null {
    const row = this.prepare<[number], { sign_center: Buffer | null }>('SELECT sign_center FROM models WHERE id = ?').get(modelId);
    return row?.sign_center ? floats(row.sign_center) : null;
  }

  insert(model: ModelRecord, annotationId: number, vector: Float32Array): void {
    const { lastInsertRowid } = this.prepare('INSERT INTO embeddings (model_id, annotation_id, vector, created_at) VALUES (?, ?, ?, ?)').run(
      model.id,
      annotationId,
      blobOf(vector),
      new Date().toISOString(),
    );
    // vec0 wants integers bound as such; better-sqlite3 binds JS numbers as REAL, BigInts as INTEGER.
    const rowid = BigInt(lastInsertRowid);
    this.prepare(`INSERT INTO ${vectorTable(model.dim)} (rowid, model_id, embedding) VALUES (?, ?, ?)`).run(rowid, BigInt(model.id), vector);
    const center = hasSignIndex(model.dim) ? this.signCenter(model.id) : null;
    if (center) {
      this.prepare(`INSERT INTO ${signTable(model.dim)} (rowid, model_id, signs) VALUES (?, ?, vec_bit(?))`).run(rowid, BigInt(model.id), signBits(vector, center));
    }
  }

  /**
   * Drops an annotation's vectors under every model (its box changed, or it was deleted): the rows, their
   * vec0 rows and sign bits. Returns the models that had one, for their neighbour graphs to forget it.
   */
  removeAnnotation(annotationId: number): ModelRecord[] {
    const rows = this.prepare<[number], { id: number; model_id: number; identity: string; dim: number }>(
      'SELECT e.id, e.model_id, m.identity, m.dim FROM embeddings e JOIN models m ON m.id = e.model_id WHERE e.annotation_id = ?',
    ).all(annotationId);
    for (const row of rows) {
      const rowid = BigInt(row.id);
      this.prepare(`DELETE FROM ${vectorTable(row.dim)} WHERE rowid = ?`).run(rowid);
      if (hasSignIndex(row.dim)) this.prepare(`DELETE FROM ${signTable(row.dim)} WHERE rowid = ?`).run(rowid);
      this.prepare('DELETE FROM embeddings WHERE id = ?').run(row.id);
    }
    return rows.map((row) => ({ id: row.model_id, identity: row.identity, dim: row.dim }));
  }

  vector(model: ModelRecord, annotationId: number): Float32Array | undefined {
    const row = this.prepare<[number, number], { vector: Buffer }>('SELECT vector FROM embeddings WHERE model_id = ? AND annotation_id = ?').get(model.id, annotationId);
    return row && floats(row.vector);
  }

  /** Every vector of a model, [n, dim] row-major, with the annotation of each row, in annotation order. */
  allVectors(model: ModelRecord): { annotationIds: number[]; vectors: Float32Array } {
    const rows = this.prepare<[number], { annotation_id: number; vector: Buffer }>(
      'SELECT annotation_id, vector FROM embeddings WHERE model_id = ? ORDER BY annotation_id',
    ).all(model.id);
    const vectors = new Float32Array(rows.length * model.dim);
    rows.forEach((row, i) => vectors.set(new Float32Array(row.vector.buffer, row.vector.byteOffset, model.dim), i * model.dim));
    return { annotationIds: rows.map((row) => row.annotation_id), vectors };
  }

  /**
   * Every live annotation that belongs to an individual, with its individual's name, its side and its
   * vector from this model (null where it has none yet): what `catalog.evaluate` measures a model on.
   */
  labelled(model: ModelRecord): { annotationId: number; name: string; side: string | null; vector: Float32Array | null }[] {
    return this.prepare<[number], { id: number; name: string; side: string | null; vector: Buffer | null }>(
      `SELECT a.id, n.name, a.side, e.vector FROM annotations a JOIN individuals n ON n.id = a.individual_id
       LEFT JOIN embeddings e ON e.annotation_id = a.id AND e.model_id = ?
       WHERE a.deleted_at IS NULL ORDER BY a.id`,
    )
      .all(model.id)
      .map((row) => ({ annotationId: row.id, name: row.name, side: row.side, vector: row.vector ? floats(row.vector) : null }));
  }

  /** Annotation ids with a vector from this model. */
  embeddedAnnotations(modelId: number): number[] {
    return this.prepare<[number], { annotation_id: number }>('SELECT annotation_id FROM embeddings WHERE model_id = ? ORDER BY annotation_id')
      .all(modelId)
      .map((row) => row.annotation_id);
  }

  /**
   * (Re)builds a model's sign index once it has more than EXACT_SEARCH_LIMIT vectors, and again each time
   * it has doubled since (the mean moves as vectors are added; vectors added in between get their signs
   * at once, around the current mean). Returns whether it rebuilt. Call outside a transaction: it
   * commits in steps so that other connections are not locked out for long.
   */
  refreshSignIndex(model: ModelRecord): boolean {
    if (!hasSignIndex(model.dim)) return false;
    const count = this.count(model.id);
    const state = this.prepare<[number], { sign_count: number | null }>('SELECT sign_count FROM models WHERE id = ?').get(model.id)!;
    if (count <= EXACT_SEARCH_LIMIT || (state.sign_count !== null && count < 2 * state.sign_count)) return false;

    const sum = new Float64Array(model.dim);
    const rows = this.prepare<[number], { id: number; vector: Buffer }>('SELECT id, vector FROM embeddings WHERE model_id = ? ORDER BY id');
    for (const row of rows.iterate(model.id)) {
      const vector = new Float32Array(row.vector.buffer, row.vector.byteOffset, model.dim);
      for (let i = 0; i < model.dim; i++) sum[i] += vector[i];
    }
    const center = Float32Array.from(sum, (total) => total / count);

    const table = signTable(model.dim);
    const remove = this.prepare(`DELETE FROM ${table} WHERE rowid = ?`);
    const add = this.prepare(`INSERT INTO ${table} (rowid, model_id, signs) VALUES (?, ?, vec_bit(?))`);
    const modelId = BigInt(model.id);
    const ids = this.prepare<[number], { id: number }>('SELECT id FROM embeddings WHERE model_id = ? ORDER BY id').all(model.id).map((row) => row.id);
    const vectorOf = this.prepare<[number], { vector: Buffer }>('SELECT vector FROM embeddings WHERE id = ?');
    // Until the last step commits, the old centre stays in force and queries use the old (complete) index or exact search.
    this.db.transaction(() => this.prepare('UPDATE models SET sign_center = NULL, sign_count = NULL WHERE id = ?').run(model.id)).immediate();
    const STEP = 5000;
    for (let start = 0; start < ids.length; start += STEP) {
      this.db
        .transaction(() => {
          for (const id of ids.slice(start, start + STEP)) {
            remove.run(BigInt(id));
            add.run(BigInt(id), modelId, signBits(floats(vectorOf.get(id)!.vector), center));
          }
          if (start + STEP >= ids.length) {
            // Vectors another connection stored meanwhile (ids only grow) got no signs: add them too.
            const latest = this.prepare<[number, number], { id: number; vector: Buffer }>('SELECT id, vector FROM embeddings WHERE model_id = ? AND id > ?');
            for (const row of latest.all(model.id, ids[ids.length - 1])) add.run(BigInt(row.id), modelId, signBits(floats(row.vector), center));
            this.prepare('UPDATE models SET sign_center = ?, sign_count = ? WHERE id = ?').run(blobOf(center), count, model.id);
          }
        })
        .immediate();
    }
    return true;
  }

  /**
   * The k nearest stored vectors of this model by cosine distance, nearest first. Exact (vec0 KNN over
   * the float vectors) until the model has a sign index; then a Hamming KNN over the signs fetches
   * SIGN_OVERSAMPLING × k coarse matches and their float vectors are re-scored exactly.
   */
  nearest(model: ModelRecord, query: Float32Array, k: number): Neighbour[] {
    const wanted = Math.min(k, MAX_KNN);
    const center = hasSignIndex(model.dim) ? this.signCenter(model.id) : null;
    if (!center) {
      return this.prepare<[Float32Array, number, number], Neighbour>(
        `SELECT e.annotation_id AS annotationId, knn.distance
         FROM (SELECT rowid, distance FROM ${vectorTable(model.dim)} WHERE embedding MATCH ? AND k = ? AND model_id = ?) knn
         JOIN embeddings e ON e.id = knn.rowid
         ORDER BY knn.distance`,
      ).all(query, wanted, model.id);
    }
    return this.prepare<[Float32Array, Buffer, number, number, number], Neighbour>(
      `SELECT e.annotation_id AS annotationId, vec_distance_cosine(e.vector, ?) AS distance
       FROM (SELECT rowid FROM ${signTable(model.dim)} WHERE signs MATCH vec_bit(?) AND k = ? AND model_id = ?) coarse
       JOIN embeddings e ON e.id = coarse.rowid
       ORDER BY distance LIMIT ?`,
    ).all(query, signBits(query, center), Math.min(MAX_KNN, wanted * SIGN_OVERSAMPLING), model.id, wanted);
  }

  /** Cosine similarity of two stored annotations' vectors, computed by sqlite-vec. */
  similarity(model: ModelRecord, a: number, b: number): number | undefined {
    const row = this.prepare<[number, number, number], { distance: number }>(
      `SELECT vec_distance_cosine(ea.vector, eb.vector) AS distance FROM embeddings ea, embeddings eb
       WHERE ea.model_id = ? AND ea.annotation_id = ? AND eb.model_id = ea.model_id AND eb.annotation_id = ?`,
    ).get(model.id, a, b);
    return row === undefined ? undefined : 1 - row.distance;
  }
}
