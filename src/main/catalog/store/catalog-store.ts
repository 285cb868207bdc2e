import type Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CatalogError } from '../errors.ts';
import { catalogDir, catalogFile, thumbsDir } from '../layout.ts';
import { AnnotationEditsStore } from './annotation-edits.ts';
import { AnnotationsStore } from './annotations.ts';
import { createCatalogDatabase, openCatalogDatabase, type OpenOptions } from './connection.ts';
import { DecisionsStore } from './decisions.ts';
import { EmbeddingsStore } from './embeddings.ts';
import { ImagesStore } from './images.ts';
import { IndividualsStore } from './individuals.ts';
import { JobsStore } from './jobs.ts';
import { schemaVersion } from './migrations.ts';
import { NeighboursStore } from './neighbours.ts';
import { PairsStore } from './pairs.ts';
import { SettingsStore } from './settings.ts';

function requireFolder(folder: string): void {
  if (!existsSync(folder)) throw new CatalogError(`${folder} does not exist`);
  if (!statSync(folder).isDirectory()) throw new CatalogError(`${folder} is not a folder`);
}

/** One catalog's database with its table stores; all of the catalog's SQL lives in these stores. */
export class CatalogStore {
  readonly images: ImagesStore;
  readonly annotations: AnnotationsStore;
  readonly annotationEdits: AnnotationEditsStore;
  readonly individuals: IndividualsStore;
  readonly embeddings: EmbeddingsStore;
  readonly pairs: PairsStore;
  readonly neighbours: NeighboursStore;
  readonly decisions: DecisionsStore;
  readonly jobs: JobsStore;
  readonly settings: SettingsStore;

  /** `root` is the catalog folder, to which stored paths are relative. */
  constructor(
    readonly root: string,
    readonly db: Database.Database,
  ) {
    this.images = new ImagesStore(db);
    this.annotations = new AnnotationsStore(db);
    this.annotationEdits = new AnnotationEditsStore(db);
    this.individuals = new IndividualsStore(db);
    this.embeddings = new EmbeddingsStore(db);
    this.pairs = new PairsStore(db);
    this.neighbours = new NeighboursStore(db);
    this.decisions = new DecisionsStore(db);
    this.jobs = new JobsStore(db);
    this.settings = new SettingsStore(db);
  }

  static init(folder: string): CatalogStore {
    const root = resolve(folder);
    requireFolder(root);
    const file = catalogFile(root);
    if (existsSync(file)) throw new CatalogError(`${root} is already a pairx catalog`);
    mkdirSync(catalogDir(root), { recursive: true });
    mkdirSync(thumbsDir(root), { recursive: true });
    const store = new CatalogStore(root, createCatalogDatabase(file));
    store.settings.set('createdAt', new Date().toISOString());
    return store;
  }

  static open(folder: string, options: OpenOptions = {}): CatalogStore {
    const root = resolve(folder);
    requireFolder(root);
    const file = catalogFile(root);
    if (!existsSync(file)) throw new CatalogError(`${root} is not a pairx catalog (run \`pairx catalog init ${root}\`)`);
    if (!options.readonly) mkdirSync(thumbsDir(root), { recursive: true });
    return new CatalogStore(root, openCatalogDatabase(file, options));
  }

  get schemaVersion(): number {
    return schemaVersion(this.db);
  }

  /**
   * Runs `fn` in one write transaction. IMMEDIATE takes the write lock up front: a deferred transaction
   * that reads and then writes can fail with SQLITE_BUSY at once, without waiting, when another
   * process wrote in between.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Runs `fn` in one read transaction: in WAL mode it sees one consistent moment while others write. */
  snapshot<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /** PRAGMA integrity_check's findings; ['ok'] for a sound file. */
  integrityCheck(): string[] {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
