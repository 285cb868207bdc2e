import type Database from 'better-sqlite3';
import { CatalogError } from '../errors.ts';

type Migration = (db: Database.Database) => void;

/**
 * Schema version 1. Conventions kept by later versions:
 * - paths are relative to the catalog root with '/' separators;
 * - times are ISO-8601 strings (UTC, from Date.toISOString) unless the column says otherwise;
 * - the decision log and its side tables are append-only (triggers refuse UPDATE and DELETE), so every
 *   decision stays recoverable and the current state can always be explained from the log;
 * - vectors are searched through sqlite-vec `vec0` tables, one per dimension, created when the first
 *   model of that dimension is registered (their column type needs the dimension, which no migration
 *   can know); see store/embeddings.ts.
 */
const v1: Migration = (db) => {
  db.exec(`
    CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE images (
      id INTEGER PRIMARY KEY,
      sha256 TEXT NOT NULL UNIQUE,
      path TEXT NOT NULL,             -- where the photo was last seen; other copies are in image_files
      width INTEGER NOT NULL,         -- upright, after EXIF orientation
      height INTEGER NOT NULL,
      orientation INTEGER,            -- EXIF orientation tag (1-8) as found in the file
      captured_at TEXT,               -- camera wall-clock time, with offset when the file has one
      gps_lat REAL,
      gps_lon REAL,
      thumbnail TEXT,                 -- relative to the .pairx folder
      added_at TEXT NOT NULL
    ) STRICT;

    -- Every file path known to hold an image, with what a re-import compares to skip unchanged files.
    CREATE TABLE image_files (
      path TEXT PRIMARY KEY,
      image_id INTEGER NOT NULL REFERENCES images(id),
      size INTEGER NOT NULL,
      mtime_ms REAL NOT NULL,
      seen_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX image_files_by_image ON image_files(image_id);

    CREATE TABLE individuals (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE annotations (
      id INTEGER PRIMARY KEY,
      image_id INTEGER NOT NULL REFERENCES images(id),
      x REAL, y REAL, w REAL, h REAL, -- pixels of the upright photo; all NULL = the whole photo
      theta REAL NOT NULL DEFAULT 0,  -- radians about the box centre
      side TEXT,                      -- side or viewpoint, lower case
      individual_id INTEGER REFERENCES individuals(id),
      source TEXT NOT NULL,           -- 'whole-image' or '<csv file>:<row>'
      created_at TEXT NOT NULL,
      CHECK ((x IS NULL) = (y IS NULL) AND (x IS NULL) = (w IS NULL) AND (x IS NULL) = (h IS NULL)),
      CHECK (w IS NULL OR (w > 0 AND h > 0))
    ) STRICT;
    CREATE INDEX annotations_by_image ON annotations(image_id);
    CREATE INDEX annotations_by_individual ON annotations(individual_id);

    CREATE TABLE name_changes (
      id INTEGER PRIMARY KEY,
      individual_id INTEGER NOT NULL REFERENCES individuals(id),
      old_name TEXT NOT NULL,
      new_name TEXT NOT NULL,
      reviewer TEXT,
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE models (
      id INTEGER PRIMARY KEY,
      identity TEXT NOT NULL UNIQUE,
      dim INTEGER NOT NULL CHECK (dim > 0),
      created_at TEXT NOT NULL,
      sign_center BLOB,               -- float32 mean the sign index is taken around; NULL until it exists
      sign_count INTEGER              -- vectors the model had when sign_center was computed
    ) STRICT;

    -- The id of a row here is the rowid of its vector in embedding_vectors_<dim> (exact search) and of
    -- its sign bits in embedding_signs_<dim> (coarse search for large catalogs). The vector is kept
    -- here too: vec0 reads single rows slowly, and re-scoring coarse matches reads hundreds.
    CREATE TABLE embeddings (
      id INTEGER PRIMARY KEY,
      model_id INTEGER NOT NULL REFERENCES models(id),
      annotation_id INTEGER NOT NULL REFERENCES annotations(id),
      vector BLOB NOT NULL,           -- float32, little-endian
      created_at TEXT NOT NULL,
      UNIQUE (model_id, annotation_id)
    ) STRICT;

    CREATE TABLE candidate_pairs (
      model_id INTEGER NOT NULL REFERENCES models(id),
      annotation_a INTEGER NOT NULL REFERENCES annotations(id),
      annotation_b INTEGER NOT NULL REFERENCES annotations(id),
      similarity REAL NOT NULL,
      plausibility REAL,              -- filled by the PAIR-X plausibility pass, NULL until then
      updated_at TEXT NOT NULL,
      PRIMARY KEY (model_id, annotation_a, annotation_b),
      CHECK (annotation_a < annotation_b)
    ) STRICT;

    CREATE TABLE decisions (
      id INTEGER PRIMARY KEY,
      annotation_a INTEGER NOT NULL REFERENCES annotations(id),
      annotation_b INTEGER NOT NULL REFERENCES annotations(id),
      verdict TEXT NOT NULL CHECK (verdict IN ('same', 'different', 'unsure', 'undo')),
      merge TEXT CHECK (merge IN ('keep-a', 'keep-b')),
      note TEXT,
      reviewer TEXT,
      created_at TEXT NOT NULL,
      undoes INTEGER UNIQUE REFERENCES decisions(id),
      CHECK ((verdict = 'undo') = (undoes IS NOT NULL)),
      CHECK (annotation_a <> annotation_b)
    ) STRICT;
    CREATE INDEX decisions_by_a ON decisions(annotation_a);
    CREATE INDEX decisions_by_b ON decisions(annotation_b);

    -- What a decision changed, so that undoing it restores exactly the state before it.
    CREATE TABLE decision_effects (
      decision_id INTEGER NOT NULL REFERENCES decisions(id),
      annotation_id INTEGER NOT NULL REFERENCES annotations(id),
      individual_before INTEGER REFERENCES individuals(id),
      individual_after INTEGER REFERENCES individuals(id),
      PRIMARY KEY (decision_id, annotation_id)
    ) STRICT;

    CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
      BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
    CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
      BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
    CREATE TRIGGER decision_effects_no_update BEFORE UPDATE ON decision_effects
      BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
    CREATE TRIGGER decision_effects_no_delete BEFORE DELETE ON decision_effects
      BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
    CREATE TRIGGER name_changes_no_update BEFORE UPDATE ON name_changes
      BEGIN SELECT RAISE(ABORT, 'the name log is append-only'); END;
    CREATE TRIGGER name_changes_no_delete BEFORE DELETE ON name_changes
      BEGIN SELECT RAISE(ABORT, 'the name log is append-only'); END;

    CREATE TABLE jobs (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL,
      params TEXT NOT NULL,           -- JSON
      state TEXT NOT NULL CHECK (state IN ('running', 'done', 'cancelled', 'failed')),
      done INTEGER NOT NULL DEFAULT 0,
      total INTEGER,
      pid INTEGER,
      started_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      finished_at TEXT,
      error TEXT
    ) STRICT;
  `);
};

/**
 * Schema version 2: the review queue over individuals.
 * - `individuals.named`: 1 when a person gave the name (an import or a rename), 0 for the generated
 *   names of individuals that "same" decisions made. Two person-named individuals count as different
 *   animals unless the reviewer asks the queue to look for duplicate names.
 * - `neighbours`: the stored neighbour graph per model, undirected (a < b): the union of every embedded
 *   annotation's k nearest neighbours. `neighbour_lists` says how far each annotation was searched
 *   (k, and the similarity of its k-th neighbour, below which a new vector does not enter its list), so
 *   that new embeddings and wider searches update the graph instead of rebuilding it.
 * - `decision_features`: what the queue knew of a pair when it was decided (its similarity, PAIR-X
 *   plausibility and the sizes of the two individuals), the samples its calibration learns from.
 */
const v2: Migration = (db) => {
  db.exec(`
    ALTER TABLE individuals ADD COLUMN named INTEGER NOT NULL DEFAULT 1 CHECK (named IN (0, 1));
    UPDATE individuals SET named = 0
      WHERE name GLOB 'ind-[0-9]*' AND NOT EXISTS (SELECT 1 FROM name_changes c WHERE c.individual_id = individuals.id);

    CREATE TABLE neighbours (
      model_id INTEGER NOT NULL REFERENCES models(id),
      annotation_a INTEGER NOT NULL REFERENCES annotations(id),
      annotation_b INTEGER NOT NULL REFERENCES annotations(id),
      similarity REAL NOT NULL,
      PRIMARY KEY (model_id, annotation_a, annotation_b),
      CHECK (annotation_a < annotation_b)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE neighbour_lists (
      model_id INTEGER NOT NULL REFERENCES models(id),
      annotation_id INTEGER NOT NULL REFERENCES annotations(id),
      k INTEGER NOT NULL CHECK (k > 0),
      kth_similarity REAL NOT NULL,
      PRIMARY KEY (model_id, annotation_id)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE decision_features (
      decision_id INTEGER PRIMARY KEY REFERENCES decisions(id),
      model_id INTEGER NOT NULL REFERENCES models(id),
      similarity REAL NOT NULL,
      plausibility REAL,
      size_a INTEGER NOT NULL,
      size_b INTEGER NOT NULL
    ) STRICT;
    CREATE TRIGGER decision_features_no_update BEFORE UPDATE ON decision_features
      BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
    CREATE TRIGGER decision_features_no_delete BEFORE DELETE ON decision_features
      BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
  `);
};

/**
 * Annotation edits (issue 18: boxes drawn, moved, rotated and deleted in the photo view; detector boxes).
 * - `annotations.deleted_at`: the deletion mark. The decision log references annotations and is
 *   append-only, so a deleted annotation keeps its row (and its individual, for an undo); every listing,
 *   count, embedding and the review queue leave marked rows out.
 * - `annotations.detection_conf`: the detector's confidence, for annotations made from detector output.
 * - `annotation_edits`: the edit history, append-only like the decision log. Each entry holds the
 *   annotation's box, theta, side and deletion before and after (JSON); `origin` says whether a person
 *   or an import made it (a box a person drew or changed is one with a person's entry); `session` names
 *   the photo-view session whose Ctrl+Z may undo it; an undo is an entry of its own (`undoes`).
 */
const v3AnnotationEdits: Migration = (db) => {
  db.exec(`
    ALTER TABLE annotations ADD COLUMN deleted_at TEXT;
    ALTER TABLE annotations ADD COLUMN detection_conf REAL;

    CREATE TABLE annotation_edits (
      id INTEGER PRIMARY KEY,
      annotation_id INTEGER NOT NULL REFERENCES annotations(id),
      kind TEXT NOT NULL CHECK (kind IN ('add', 'change', 'delete', 'undo')),
      origin TEXT NOT NULL CHECK (origin IN ('person', 'import')),
      before TEXT,                    -- JSON {box, theta, side, deleted}; NULL for 'add'
      after TEXT NOT NULL,            -- JSON, the same shape
      session TEXT,
      reviewer TEXT,
      undoes INTEGER UNIQUE REFERENCES annotation_edits(id),
      created_at TEXT NOT NULL,
      CHECK ((kind = 'undo') = (undoes IS NOT NULL))
    ) STRICT;
    CREATE INDEX annotation_edits_by_annotation ON annotation_edits(annotation_id);
    CREATE INDEX annotation_edits_by_session ON annotation_edits(session);
    CREATE TRIGGER annotation_edits_no_update BEFORE UPDATE ON annotation_edits
      BEGIN SELECT RAISE(ABORT, 'the annotation edit history is append-only'); END;
    CREATE TRIGGER annotation_edits_no_delete BEFORE DELETE ON annotation_edits
      BEGIN SELECT RAISE(ABORT, 'the annotation edit history is append-only'); END;
  `);
};

/**
 * Schema version 4: answers as evidence (issue 16). Who is who is derived from the decisions in force,
 * the reviewers' accuracies, the names people gave and the model; `annotations.individual_id` stays the
 * derived assignment every reader uses, and each change of it is logged in `decision_effects`.
 * - `annotations.given_individual_id`: the individual a person gave this annotation (an imported name):
 *   a statement the derivation keeps whatever the answers, unlike assignments that answers made. Filled
 *   for existing annotations with the named individual they had before any decision moved them.
 * - `decisions.batch`: decisions committed together ("none of these", "split this photo off") carry the
 *   id of the batch's first decision, so that one undo takes the whole batch back.
 * - `decisions.accuracies`: the reviewers' accuracies in use just before the decision (JSON), so that an
 *   undo weighs every answer as it was weighed before.
 * - `assignment_changes`: every change of an annotation's individual from now on, with its cause: the
 *   decision or undo entry that caused it, or what else did (a reviewer's accuracy set or re-estimated,
 *   names imported, decisions arriving from a sync) in `cause` and `detail`. Append-only, like the log;
 *   `decision_effects` keeps the changes recorded before.
 */
const v4Evidence: Migration = (db) => {
  db.exec(`
    ALTER TABLE annotations ADD COLUMN given_individual_id INTEGER REFERENCES individuals(id);
    UPDATE annotations SET given_individual_id = CASE
      WHEN EXISTS (SELECT 1 FROM decision_effects e WHERE e.annotation_id = annotations.id)
        THEN (SELECT e.individual_before FROM decision_effects e WHERE e.annotation_id = annotations.id ORDER BY e.decision_id LIMIT 1)
      ELSE individual_id END;
    UPDATE annotations SET given_individual_id = NULL
      WHERE given_individual_id IS NOT NULL AND given_individual_id NOT IN (SELECT id FROM individuals WHERE named = 1);
    CREATE INDEX annotations_by_given_individual ON annotations(given_individual_id);

    ALTER TABLE decisions ADD COLUMN batch INTEGER REFERENCES decisions(id);
    CREATE INDEX decisions_by_batch ON decisions(batch);
    ALTER TABLE decisions ADD COLUMN accuracies TEXT;

    CREATE TABLE assignment_changes (
      id INTEGER PRIMARY KEY,
      annotation_id INTEGER NOT NULL REFERENCES annotations(id),
      individual_before INTEGER REFERENCES individuals(id),
      individual_after INTEGER REFERENCES individuals(id),
      decision_id INTEGER REFERENCES decisions(id),
      cause TEXT NOT NULL CHECK (cause IN ('decision', 'undo', 'accuracy', 'import', 'resolve', 'sync')),
      detail TEXT,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX assignment_changes_by_annotation ON assignment_changes(annotation_id);
    CREATE TRIGGER assignment_changes_no_update BEFORE UPDATE ON assignment_changes
      BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
    CREATE TRIGGER assignment_changes_no_delete BEFORE DELETE ON assignment_changes
      BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
  `);
};

/** Migration i brings a database from user_version i to i + 1. Append only; never edit a shipped one. */
export const MIGRATIONS: readonly Migration[] = [v1, v2, v3AnnotationEdits, v4Evidence];
export const SCHEMA_VERSION = MIGRATIONS.length;

export const schemaVersion = (db: Database.Database): number => db.pragma('user_version', { simple: true }) as number;

/**
 * Brings the database to SCHEMA_VERSION, one transaction per version so that a crash leaves a
 * database at some whole version. IMMEDIATE takes the write lock before reading the version, so two
 * processes opening the same old catalog cannot both run a migration.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): void {
  refuseNewer(db, migrations.length);
  for (;;) {
    const applied = db
      .transaction(() => {
        const version = schemaVersion(db);
        if (version >= migrations.length) return false;
        migrations[version](db);
        // A pragma cannot take a bound parameter; the value is an integer we computed.
        db.pragma(`user_version = ${version + 1}`);
        return true;
      })
      .immediate();
    if (!applied) return;
  }
}

export function refuseNewer(db: Database.Database, known: number = SCHEMA_VERSION): void {
  const version = schemaVersion(db);
  if (version > known) {
    throw new CatalogError(
      `${db.name} was created by a newer version of pairx (schema version ${version}; this version knows up to ${known}); update pairx to open it`,
    );
  }
}
