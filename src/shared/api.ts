import { z } from 'zod';
import { ExplainSettings, PairMatchesPayload, PairPixelsPayload } from './explanation.ts';

/**
 * The workbench API: every method the CLI, the Electron IPC bridge and the local server offer, with
 * argument and result schemas. Adapters validate arguments with these schemas; TypeScript types are
 * inferred from them and never written again by hand. Runs in every process, so it imports nothing
 * from src/main or src/renderer.
 */

// ------------------------------------------------------------------------------------------ entities
const id = z.number().int().positive();

export const Verdict = z.enum(['same', 'different', 'unsure']);
export const MergeChoice = z.enum(['keep-a', 'keep-b']);

/** One problem met while importing or embedding; it never stops the job. */
export const Issue = z.object({
  file: z.string(),
  /** Line number in the CSV (the header is line 1), when the problem is in a CSV row. */
  row: z.number().int().positive().optional(),
  message: z.string(),
});

export const Box = z.object({
  x: z.number(),
  y: z.number(),
  w: z.number().positive(),
  h: z.number().positive(),
});

/** The execution providers a user may ask for; `auto` takes the best that loads here. */
export const PROVIDER_CHOICES = ['auto', 'cpu', 'cuda', 'dml', 'coreml'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];

export const Annotation = z.object({
  id,
  imageId: id,
  /** Photo path relative to the catalog folder, '/'-separated. */
  image: z.string(),
  imageWidth: z.number().int(),
  imageHeight: z.number().int(),
  /** Box in pixels of the upright photo; null for the whole photo. */
  box: Box.nullable(),
  theta: z.number(),
  side: z.string().nullable(),
  individualId: id.nullable(),
  name: z.string().nullable(),
  /** Thumbnail path relative to the catalog folder. */
  thumbnail: z.string().nullable(),
  capturedAt: z.string().nullable(),
  /** Where the photo was taken (its EXIF GPS position, degrees), when it records one. */
  gpsLat: z.number().nullable(),
  gpsLon: z.number().nullable(),
  source: z.string(),
});

export const Decision = z.object({
  id,
  a: id,
  b: id,
  verdict: z.enum(['same', 'different', 'unsure', 'undo']),
  merge: MergeChoice.nullable(),
  note: z.string().nullable(),
  reviewer: z.string().nullable(),
  createdAt: z.string(),
  /** For an undo entry: the decision it undoes. */
  undoes: id.nullable(),
  /** The undo entry that undid this decision, if any. */
  undoneBy: id.nullable(),
  /** The first decision of the batch this one was committed with ("none of these", a split); undo takes a batch back whole. */
  batch: id.nullable(),
});

export const IndividualRef = z.object({ id, name: z.string() });
export const Individual = IndividualRef.extend({ annotations: z.array(Annotation) });

export const Candidate = z.object({ annotationId: id, similarity: z.number() });

/** Why a question that is not a first look at two individuals is asked. */
export const QuestionReason = z.object({
  /**
   * disagreement: answers about the two contradict each other; second-look: a "same" did not join them
   * (the model doubts it); recheck: a "different" that the model doubts; confirm: a join the evidence holds
   * weakly; outlier: a photo that matches the rest of its individual poorly.
   */
  kind: z.enum(['disagreement', 'second-look', 'recheck', 'confirm', 'outlier']),
  message: z.string(),
  /** The decisions involved, oldest first. */
  decisions: z.array(id),
});
export type QuestionReason = z.infer<typeof QuestionReason>;
export const CandidatePair = z.object({
  a: id,
  b: id,
  similarity: z.number(),
  /** PAIR-X plausibility of the match, when it has been computed for this pair and model. */
  plausibility: z.number().nullable(),
  /**
   * The calibrated probability that the two annotations' individuals are one animal (from the
   * similarity, the plausibility and the individuals' sizes; fitted to this catalog's decisions).
   */
  probability: z.number(),
  /** The individual each annotation belongs to; null for an annotation on its own. */
  individualA: IndividualRef.nullable(),
  individualB: IndividualRef.nullable(),
  /** Annotations in each side's individual (1 for an annotation on its own). */
  sizeA: z.number().int().positive(),
  sizeB: z.number().int().positive(),
  /**
   * new: a first question about two individuals; again: two individuals asked about before (answers
   * disagree, or the model doubts an answer); confirm: a join inside one individual that the evidence holds
   * weakly (a and b are then in the same individual). Absent in the plain pair queue.
   */
  kind: z.enum(['new', 'again', 'confirm']).optional(),
  /** Why the question is asked, when it is not a first look. */
  reason: QuestionReason.nullable().optional(),
});

/**
 * The review queue's logistic model of "one animal" for a pair of individuals (see
 * src/main/ranking/calibration.ts); a model card may carry a prior of this form.
 */
export const CalibrationWeights = z.object({
  intercept: z.number(),
  similarity: z.number(),
  /** Per unit of plausibility (RANSAC inlier ratio, 0–1), where it has been computed. */
  plausibility: z.number(),
  /** Added where the plausibility has not been computed yet. */
  plausibilityMissing: z.number(),
  /** Per unit of ln(size A × size B). */
  logSizes: z.number(),
});
export type CalibrationWeights = z.infer<typeof CalibrationWeights>;

/** Where the identification of a catalog stands, so that a reviewer knows when to stop. */
export const ReviewProgress = z.object({
  /** Decisions in force. */
  decisions: z.number().int(),
  annotations: z.number().int(),
  /** Individuals so far: named ones, ones made by "same" decisions, and annotations on their own. */
  individuals: z.number().int(),
  /** Pairs of individuals still to ask about (the whole queue). */
  openQuestions: z.number().int(),
  /** The sum of the queue's probabilities: about how many more "same" answers the queue holds. */
  expectedMatches: z.number(),
});

export const ModelCount = z.object({ model: z.string(), dim: z.number().int(), embedded: z.number().int() });
export const JobInfo = z.object({
  id,
  kind: z.string(),
  state: z.enum(['running', 'done', 'cancelled', 'failed', 'interrupted']),
  done: z.number().int(),
  total: z.number().int().nullable(),
  startedAt: z.string(),
  updatedAt: z.string(),
  error: z.string().nullable(),
});

export const CatalogStatus = z.object({
  folder: z.string(),
  schemaVersion: z.number().int(),
  images: z.number().int(),
  /** Images none of whose files were found by the last import that scanned their folder. */
  missingImages: z.number().int(),
  annotations: z.number().int(),
  namedAnnotations: z.number().int(),
  individuals: z.number().int(),
  embedded: z.array(ModelCount),
  /** Unordered annotation pairs whose latest decision is in force (not undone). */
  decidedPairs: z.number().int(),
  /** Entries in the decision log, undo entries included. */
  logEntries: z.number().int(),
  /** Unfinished jobs: running in another process, or interrupted (run the same command again to resume). */
  unfinishedJobs: z.array(JobInfo),
});

/** A photo of the catalog with the animals marked on it (its live annotations). */
export const Photo = z.object({
  id,
  /** Photo path relative to the catalog folder, '/'-separated. */
  path: z.string(),
  /** Upright size (EXIF orientation applied): the pixels boxes are given in. */
  width: z.number().int(),
  height: z.number().int(),
  /** Annotations on the photo: 0 is a photo with no animal marked. */
  annotations: z.number().int(),
  /** Of them, annotations with a box (the others are the whole photo). */
  boxes: z.number().int(),
  capturedAt: z.string().nullable(),
});

/** What an import made of a MegaDetector batch-output file (`detections`). */
export const DetectionsSummary = z.object({
  file: z.string(),
  formatVersion: z.string(),
  /** Detections of the category named "animal" at or above it became annotations. */
  threshold: z.number(),
  /** Animal boxes that became annotations in this run (boxes already there are not counted). */
  animalBoxes: z.number().int(),
  /** Animal detections below the threshold, and detections of other categories (person, vehicle), left out. */
  belowThreshold: z.number().int(),
  otherCategories: z.number().int(),
  /** Photos the detector found no animal in (at the threshold): imported with no annotation. */
  noAnimal: z.array(z.string()),
  /** Photos with several animal boxes: each box is an annotation; a name from --annotations is not given. */
  severalAnimals: z.array(z.string()),
  /** Entries the detector failed on (its `failure`), reported as issues by file. */
  failed: z.number().int(),
});

export const ImportSummary = z.object({
  scanned: z.number().int(),
  added: z.number().int(),
  unchanged: z.number().int(),
  /** Known photos found at a new path (their old path is gone). */
  moved: z.number().int(),
  /** Files with the same content as a photo already in the catalog at another path that still exists. */
  duplicates: z.number().int(),
  failed: z.number().int(),
  annotationsAdded: z.number().int(),
  annotationsUpdated: z.number().int(),
  issues: z.array(Issue),
  /** Each annotation file read, with the format its content showed and its usable rows. */
  annotationFiles: z.array(z.object({ file: z.string(), format: z.string(), rows: z.number().int() })).optional(),
  cancelled: z.boolean(),
  /** Present when the import read a detector's output. */
  detections: DetectionsSummary.optional(),
});

export const EmbedSummary = z.object({
  model: z.string(),
  dim: z.number().int(),
  embedded: z.number().int(),
  /** Annotations that already had a vector from this model. */
  skipped: z.number().int(),
  failed: z.number().int(),
  issues: z.array(Issue),
  cancelled: z.boolean(),
});

export const Progress = z.object({
  phase: z.string(),
  done: z.number().int(),
  total: z.number().int().nullable(),
  item: z.string().optional(),
});

export const DecideResult = z.union([
  z.object({
    decision: Decision,
    /** The individual both annotations now belong to, after a 'same' decision. */
    individual: IndividualRef.nullable(),
    /** Set when the decision contradicts the current naming (e.g. 'different' within one individual). */
    warning: z.string().optional(),
  }),
  z.object({ conflict: z.object({ nameA: z.string(), nameB: z.string() }) }),
]);

/** `undone` is the newest decision taken back; `batch` every decision taken back with it (one, unless it was a batch). */
/** An answer about one annotation and another, as the evidence weighs it. */
const AnswerRef = z.object({
  decisionId: id,
  /** The other annotation of the pair. */
  other: id,
  verdict: Verdict,
  reviewer: z.string().nullable(),
  /** Log-odds one answer of this reviewer carries. */
  weight: z.number(),
});

/** One individual at a glance: how strongly the evidence holds each member to the rest. */
export const IndividualDetail = z.object({
  individual: IndividualRef,
  /** A person gave this individual's name (an import or a rename). */
  named: z.boolean(),
  members: z.array(
    z.object({
      annotationId: id,
      /** A person's file named this photo so: no answer moves it. */
      givenByPerson: z.boolean(),
      /** Posterior log-odds that this photo belongs with the rest (answers across plus the model), and as a probability; null alone or named. */
      logOdds: z.number().nullable(),
      support: z.number().nullable(),
      /** The answers' and the model's parts of it. */
      human: z.number(),
      model: z.number().nullable(),
      /** The most similar other member, to compare it with. */
      closest: z.object({ annotationId: id, similarity: z.number() }).nullable(),
      /** Answers between this photo and the rest of the individual. */
      answers: z.array(AnswerRef),
    }),
  ),
  /** The member the evidence supports least (null when none is held by answers). */
  weakest: id.nullable(),
});

/** Why an annotation is where it is: the evidence now and the history of its individuals. */
export const AnnotationWhy = z.object({
  annotationId: id,
  individual: IndividualRef.nullable(),
  givenByPerson: z.boolean(),
  membership: z.object({ logOdds: z.number().nullable(), support: z.number().nullable(), human: z.number(), model: z.number().nullable() }).nullable(),
  /** Every answer about it in force, with the other photo's individual now. */
  answers: z.array(AnswerRef.extend({ otherIndividual: z.string().nullable() })),
  /**
   * Each change of its individual, oldest first, with its cause: the decision or undo entry that caused
   * it, or a reviewer's accuracy set or estimated again, names imported, a sync ('legacy': recorded before
   * the evidence model, as a decision's effect).
   */
  history: z.array(
    z.object({
      decision: Decision.nullable(),
      cause: z.enum(['decision', 'undo', 'accuracy', 'import', 'resolve', 'sync', 'legacy']),
      detail: z.string().nullable(),
      at: z.string().nullable(),
      before: z.string().nullable(),
      after: z.string().nullable(),
    }),
  ),
});

/** Accuracies a reviewer may be given: 1 would make one answer final, which the evidence model avoids. */
export const ACCURACY_LIMITS = { min: 0.6, max: 0.999 } as const;

export const ReviewerAccuracy = z.object({
  /** null: decisions recorded without a reviewer's name. */
  reviewer: z.string().nullable(),
  /** "same" and "different" answers in force. */
  answers: z.number().int(),
  /** Of those, answers the evidence as a whole now contradicts. */
  overturned: z.number().int(),
  /** Estimated from those counts (a prior of 50 answers at 95 %). */
  estimate: z.number(),
  /** Set by a person, if so. */
  set: z.number().nullable(),
  /** What each of the reviewer's answers weighs with: the set accuracy, else the estimate. */
  inUse: z.number(),
});
export type ReviewerAccuracy = z.infer<typeof ReviewerAccuracy>;

export const UndoResult = z.object({ entry: Decision, undone: Decision, batch: z.array(Decision) });

/** csv: annotations.csv and decisions.csv; camtrap-dp: a Camtrap DP 1.0 package; wildbook: the bulk-import sheet. */
export const EXPORT_FORMATS = ['csv', 'camtrap-dp', 'wildbook'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;

export const ExportResult = z.object({
  format: ExportFormat,
  folder: z.string(),
  /** Every file written, the data files first (photos copied into a package are counted, not listed). */
  files: z.array(z.string()),
  annotations: z.number().int(),
  decisions: z.number().int(),
  /** The csv format's two files. */
  annotationsCsv: z.string().optional(),
  decisionsCsv: z.string().optional(),
  /** Photos in the package (Camtrap DP media, Wildbook media assets). */
  media: z.number().int().optional(),
  deployments: z.number().int().optional(),
  /** What the user should know about the result (a sheet split for Wildbook's 200-row advice). */
  notes: z.array(z.string()).optional(),
});

export const ExportArgs = z.object({
  format: ExportFormat.default('csv'),
  /** Default: <catalog>/export (csv), <catalog>/export/camtrap-dp, <catalog>/export/wildbook. */
  outDir: z.string().optional(),
  /** CSV with deploymentID, folder, latitude, longitude (optional locationID, locationName, utcOffset): the camera of each folder. */
  deployments: z.string().optional(),
  /** The cameras' clock zone, for capture times whose EXIF has none ("+02:00"). */
  utcOffset: z.string().regex(/^[+-](0\d|1[0-4]):[0-5]\d$/, 'a UTC offset is written +hh:mm or -hh:mm').optional(),
  /** Where the photos are published (filePath = this address + the photo's path); default: copied into the package. */
  mediaUrl: z.string().url().optional(),
});

/** One entry of an annotation's edit history (boxes drawn, changed, deleted, undone). */
export const AnnotationEditEntry = z.object({
  id,
  annotationId: id,
  kind: z.enum(['add', 'change', 'delete', 'undo']),
  session: z.string().nullable(),
  createdAt: z.string(),
});

/** rank-1 and mAP of a model over the catalog's named annotations (`catalog.evaluate`). */
export const CatalogEvaluation = z.object({
  model: z.string(),
  rank1: z.number(),
  mAP: z.number(),
  /** Annotations that had another of their individual and side to find. */
  queries: z.number().int(),
  /** Named annotations with no other of their individual and side. */
  skipped: z.number().int(),
  /** Named annotations with a vector from the model (the gallery), and their individuals. */
  annotations: z.number().int(),
  individuals: z.number().int(),
  /** Named annotations without a vector from the model yet (run the embedding first). */
  notEmbedded: z.number().int(),
  /** How many of these individuals the model was trained on, where its card says; null otherwise. */
  individualsSeenInTraining: z.number().int().nullable(),
});

export const ModelEntry = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  inputWidth: z.number().int(),
  inputHeight: z.number().int(),
  embeddingDim: z.number().int(),
  defaultLayer: z.string(),
  active: z.boolean(),
});
export type ModelEntry = z.infer<typeof ModelEntry>;

export const LayerEntry = z.object({
  key: z.string(),
  tensor: z.string(),
  depth: z.number().int(),
  shape: z.array(z.number()),
  /** Where the output is a feature map (NCHW, NHWC or ViT tokens): its grid. */
  grid: z.object({ channels: z.number().int(), height: z.number().int(), width: z.number().int() }).optional(),
});

/** Camtrap DP's project.samplingDesign and project.captureMethod values (camtrap-dp-profile.json, 1.0.2). */
export const SAMPLING_DESIGNS = ['simpleRandom', 'systematicRandom', 'clusteredRandom', 'experimental', 'targeted', 'opportunistic'] as const;
export const CAPTURE_METHODS = ['activityDetection', 'timeLapse'] as const;

/** What publishing the catalog (Camtrap DP, Wildbook) needs to know of it as a whole. */
export const PublishingSettings = z.object({
  /** Capitalised, as Wildbook's taxonomy and Darwin Core write it ("Tragelaphus"). */
  genus: z.string().regex(/^[A-Z][a-z-]+$/, 'a genus starts with a capital letter, the rest lower case (Tragelaphus)').nullable(),
  specificEpithet: z.string().regex(/^[a-z][a-z-]+$/, 'a specific epithet is lower case (angasii)').nullable(),
  /** Camtrap DP's project title; the catalog folder's name when not set. */
  projectTitle: z.string().min(1).nullable(),
  samplingDesign: z.enum(SAMPLING_DESIGNS).nullable(),
  captureMethod: z.array(z.enum(CAPTURE_METHODS)).min(1).nullable(),
});
export type PublishingSettings = z.infer<typeof PublishingSettings>;

export const WorkbenchSettings = z.object({
  reviewer: z.string().nullable(),
  /** The execution provider asked for (auto, cpu, cuda, dml, coreml). */
  provider: z.string(),
  /** The provider the last model run actually used, once one has run. */
  providerInUse: z.string().nullable(),
  activeModel: z.string().nullable(),
  publishing: PublishingSettings.optional(),
});
export type WorkbenchSettings = z.infer<typeof WorkbenchSettings>;

// ------------------------------------------------------------------------------------------ arguments
export const ExplainArgs = ExplainSettings.extend({ a: id, b: id });

export const CandidatesArgs = z.object({
  /** Model identity (or a unique prefix of it); defaults to the model embedded last. */
  model: z.string().optional(),
  /**
   * 'individuals' (the default): one question per pair of individuals that could still be one animal,
   * from the stored neighbour graph, most probable first; what is known (decisions, merges, names) is
   * left out, so excludeDecided and excludeSameName always hold. 'pairs': every annotation's k nearest
   * annotations as pairs, with the filters below (the plain pair queue).
   */
  order: z.enum(['individuals', 'pairs']).default('individuals'),
  /** Only this annotation's candidates (with 'individuals': questions about its individual). */
  annotationId: id.optional(),
  /** Candidates per annotation ('pairs'). */
  k: z.number().int().positive().max(1000).default(10),
  /** Only pair annotations of the same side, where both sides are known. */
  sameSide: z.boolean().default(true),
  /** Leave out pairs whose latest decision is in force. */
  excludeDecided: z.boolean().default(true),
  /** Leave out pairs already named as one individual. */
  excludeSameName: z.boolean().default(true),
  /** Leave out two annotations of one photo. */
  excludeSameImage: z.boolean().default(true),
  /** Also ask whether two differently named individuals are one animal (duplicate names). */
  duplicateNames: z.boolean().default(false),
  /** Order of the queue: calibrated probability, raw similarity, or stored plausibility first. */
  rerank: z.enum(['probability', 'similarity', 'plausibility']).default('probability'),
  /** Longest review queue returned. */
  limit: z.number().int().positive().optional(),
});

export const DecideArgs = z.object({
  a: id,
  b: id,
  verdict: Verdict,
  note: z.string().optional(),
  reviewer: z.string().optional(),
  confirmMerge: MergeChoice.optional(),
});

// ------------------------------------------------------------------------------------------ methods
const none = z.object({});

/**
 * Method name → argument and result schema. `job: true` marks long-running methods: they report
 * Progress events and can be cancelled.
 */
export const api = {
  'catalog.status': { args: none, result: CatalogStatus },
  'catalog.list': {
    args: z.object({
      ids: z.array(id).optional(),
      individual: z.string().optional(),
      /** Only the annotations of this photo. */
      imageId: id.optional(),
      offset: z.number().int().nonnegative().default(0),
      limit: z.number().int().positive().default(1000),
    }),
    result: z.object({ total: z.number().int(), annotations: z.array(Annotation) }),
  },
  'catalog.import': {
    args: z.object({
      folder: z.string().optional(),
      /**
       * An annotations file, recognised by its content: this project's CSV, COCO as Wildbook and WBIA
       * export it, or wildlife-datasets metadata (CSV).
       */
      annotations: z.string().optional(),
      /** The same as `annotations` (its earlier name). */
      annotationsCsv: z.string().optional(),
      /** A MegaDetector batch-output file (format 1.0-1.6): animal boxes become annotations. */
      detections: z.string().optional(),
      /** Confidence at or above which an animal detection counts (default: the file's typical_detection_threshold, else 0.2). */
      threshold: z.number().min(0).max(1).optional(),
    }),
    result: ImportSummary,
    job: true,
  },
  /** Photos with how many animals are marked on each, in path order; `animals` filters. */
  'catalog.photos': {
    args: z.object({
      /** 'none': no animal marked with a box (no annotation, or the whole photo only); 'several': two or more annotations. */
      animals: z.enum(['any', 'none', 'several']).default('any'),
      offset: z.number().int().nonnegative().default(0),
      limit: z.number().int().positive().default(1000),
    }),
    result: z.object({ total: z.number().int(), photos: z.array(Photo) }),
  },
  /** A box drawn around an animal on a photo: a new annotation. */
  'annotations.add': {
    args: z.object({
      imageId: id,
      box: Box,
      theta: z.number().default(0),
      side: z.string().nullable().optional(),
      /** The photo-view session whose Ctrl+Z may undo the edit. */
      session: z.string().min(1).max(100).optional(),
      reviewer: z.string().optional(),
    }),
    result: Annotation,
  },
  /** A box moved, resized or rotated, or its side set (null: unknown); its decisions stay. */
  'annotations.update': {
    args: z.object({
      id,
      box: Box.optional(),
      theta: z.number().optional(),
      side: z.string().nullable().optional(),
      session: z.string().min(1).max(100).optional(),
      reviewer: z.string().optional(),
    }),
    result: Annotation,
  },
  /** Deletes an annotation (kept with a deletion mark: the decision log may name it). */
  'annotations.delete': {
    args: z.object({ id, session: z.string().min(1).max(100).optional(), reviewer: z.string().optional() }),
    result: z.object({ id }),
  },
  /** Takes back the newest box edit of a photo-view session. */
  'annotations.undo': {
    args: z.object({ session: z.string().min(1).max(100), reviewer: z.string().optional() }),
    result: z.object({
      undone: AnnotationEditEntry,
      /** The annotation as it is now; null when the undo deleted it (an added box taken back). */
      annotation: Annotation.nullable(),
    }),
  },
  /** rank-1 and mAP of a model (default: the catalog's active one) over the named annotations. */
  'catalog.evaluate': { args: z.object({ model: z.string().optional() }), result: CatalogEvaluation },
  'catalog.embed': {
    args: z.object({
      model: z.string().optional(),
      provider: z.string().optional(),
      batchSize: z.number().int().positive().max(1024).default(16),
    }),
    result: EmbedSummary,
    job: true,
  },
  'pairs.candidates': {
    args: CandidatesArgs,
    result: z.object({
      model: z.string(),
      queue: z.array(CandidatePair),
      perAnnotation: z.array(z.object({ annotationId: id, candidates: z.array(Candidate) })),
      progress: ReviewProgress,
    }),
  },
  /**
   * One annotation against its candidates: the most probable other individuals for the annotation's
   * individual, each through its best pair (`a` in the focus individual, `b` in the candidate).
   */
  'review.strip': {
    args: z.object({ annotationId: id, limit: z.number().int().positive().max(50).default(8), model: z.string().optional() }),
    result: z.object({
      model: z.string(),
      annotationId: id,
      individual: IndividualRef.nullable(),
      /** The focus individual's annotations (the annotation alone when it has no individual). */
      members: z.array(id),
      candidates: z.array(CandidatePair),
      progress: ReviewProgress,
    }),
  },
  /** "None of these": a "different" decision for each pair, all committed together. */
  'decisions.noneOf': {
    args: z.object({
      pairs: z.array(z.object({ a: id, b: id })).min(1).max(50),
      note: z.string().optional(),
      reviewer: z.string().optional(),
    }),
    result: z.object({ decisions: z.array(Decision) }),
  },
  'decisions.decide': { args: DecideArgs, result: DecideResult },
  /** Splits a photo off its individual: a "different" between it and each other member, one batch (one undo). */
  'decisions.split': {
    args: z.object({ annotationId: id, note: z.string().optional(), reviewer: z.string().optional() }),
    result: z.object({ decisions: z.array(Decision) }),
  },
  /**
   * Disagreements still open: questions whose answers disagree (two reviewers, or answers that together
   * contradict) and that the evidence has not settled, most links at stake first, each with the answers.
   */
  'disputes.list': {
    args: z.object({ model: z.string().optional(), duplicateNames: z.boolean().default(false) }),
    result: z.array(z.object({ question: CandidatePair, answers: z.array(Decision) })),
  },
  /** Each reviewer's answers, how many the evidence overturned, and the accuracy their answers weigh with. */
  'reviewers.list': { args: none, result: z.array(ReviewerAccuracy) },
  /** Sets a reviewer's accuracy (null: estimate it from the answers again); who is who is derived again. */
  'reviewers.set': {
    args: z.object({
      reviewer: z.string().nullable(),
      accuracy: z.number().min(ACCURACY_LIMITS.min).max(ACCURACY_LIMITS.max).nullable(),
    }),
    result: z.array(ReviewerAccuracy),
  },
  'decisions.undo': { args: z.object({ reviewer: z.string().optional() }), result: UndoResult },
  'decisions.list': { args: none, result: z.array(Decision) },
  'individuals.list': { args: none, result: z.array(Individual) },
  /** One individual's photos with how strongly the evidence holds each to the rest, the weakest marked. */
  'individuals.get': { args: z.object({ name: z.string().min(1) }), result: IndividualDetail },
  /** Why an annotation is in its individual: the answers and the model now, and each change with its decision. */
  'annotations.why': { args: z.object({ annotationId: id }), result: AnnotationWhy },
  'individuals.rename': {
    args: z.object({ from: z.string().min(1), to: z.string().min(1), reviewer: z.string().optional() }),
    result: IndividualRef,
  },
  'catalog.export': { args: ExportArgs, result: ExportResult },
  'pairs.explain': { args: ExplainArgs, result: PairMatchesPayload },
  'pairs.pixels': { args: ExplainArgs, result: PairPixelsPayload },
  'pairs.prefetch': { args: ExplainArgs, result: PairMatchesPayload },
  'models.list': { args: none, result: z.array(ModelEntry) },
  'models.layers': {
    args: z.object({ model: z.string().optional() }),
    result: z.object({ default: z.string(), layers: z.array(LayerEntry) }),
  },
  'models.add': { args: z.object({ path: z.string().min(1) }), result: ModelEntry },
  'models.select': { args: z.object({ id: z.string().min(1) }), result: ModelEntry },
  'settings.get': { args: none, result: WorkbenchSettings },
  'settings.set': {
    args: z.object({
      reviewer: z.string().optional(),
      provider: z.string().optional(),
      /** Publishing settings; an empty string clears one. */
      genus: PublishingSettings.shape.genus.unwrap().or(z.literal('')).optional(),
      specificEpithet: PublishingSettings.shape.specificEpithet.unwrap().or(z.literal('')).optional(),
      projectTitle: z.string().optional(),
      samplingDesign: PublishingSettings.shape.samplingDesign.unwrap().or(z.literal('')).optional(),
      captureMethod: z.array(z.enum(CAPTURE_METHODS)).optional(),
    }),
    result: WorkbenchSettings,
  },
} as const satisfies Record<string, { args: z.ZodType; result: z.ZodType; job?: true }>;

export type Api = typeof api;
export type ApiMethod = keyof Api;
export const API_METHODS = Object.keys(api) as ApiMethod[];
/** What a caller passes (defaults may be left out). */
export type ApiArgs<M extends ApiMethod> = z.input<Api[M]['args']>;
/** What a handler receives after validation (defaults filled in). */
export type ApiParsedArgs<M extends ApiMethod> = z.output<Api[M]['args']>;
export type ApiResult<M extends ApiMethod> = z.output<Api[M]['result']>;

export type Verdict = z.infer<typeof Verdict>;
export type MergeChoice = z.infer<typeof MergeChoice>;
export type Issue = z.infer<typeof Issue>;
export type Box = z.infer<typeof Box>;
export type Annotation = z.infer<typeof Annotation>;
export type Decision = z.infer<typeof Decision>;
export type IndividualRef = z.infer<typeof IndividualRef>;
export type Individual = z.infer<typeof Individual>;
export type Candidate = z.infer<typeof Candidate>;
export type CandidatePair = z.infer<typeof CandidatePair>;
export type ReviewProgress = z.infer<typeof ReviewProgress>;
export type IndividualDetail = z.infer<typeof IndividualDetail>;
export type AnnotationWhy = z.infer<typeof AnnotationWhy>;
export type ModelCount = z.infer<typeof ModelCount>;
export type JobInfo = z.infer<typeof JobInfo>;
export type CatalogStatus = z.infer<typeof CatalogStatus>;
export type ImportSummary = z.infer<typeof ImportSummary>;
export type DetectionsSummary = z.infer<typeof DetectionsSummary>;
export type Photo = z.infer<typeof Photo>;
export type CatalogEvaluation = z.infer<typeof CatalogEvaluation>;
export type EmbedSummary = z.infer<typeof EmbedSummary>;
export type Progress = z.infer<typeof Progress>;
export type DecideResult = z.infer<typeof DecideResult>;
export type UndoResult = z.infer<typeof UndoResult>;
export type ExportResult = z.infer<typeof ExportResult>;
export type ExportArgs = z.input<typeof ExportArgs>;
export type CandidatesOptions = z.input<typeof CandidatesArgs>;
export type DecideArgs = z.infer<typeof DecideArgs>;
