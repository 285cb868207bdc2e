import type {
  Annotation,
  ApiArgs,
  ApiParsedArgs,
  ApiResult,
  CandidatePair,
  CatalogEvaluation,
  CandidatesOptions,
  CatalogStatus,
  Decision,
  DecideResult,
  EmbedSummary,
  ExportResult,
  ImportSummary,
  Individual,
  IndividualRef,
  MergeChoice,
  UndoResult,
  Verdict,
} from '../shared/api.ts';
import { CandidatesArgs, ExportArgs, type WorkbenchSettings } from '../shared/api.ts';
import type { Media, MediaRequest } from '../shared/bridge.ts';
import { ExplainSettings, type PairMatchesPayload, type PairPixelsPayload } from '../shared/explanation.ts';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultModelPath } from './models/default-model.ts';
import { modelEmbedder } from './models/model-embedder.ts';
import { ModelRegistry } from './models/model-registry.ts';
import type { ProviderChoice } from './onnx/session.ts';
import { ExplanationService, type AnnotationSource } from './pairx/explanation-service.ts';
import { explainerFor } from './pairx/pair-explainer.ts';
import { annotationThumbnail, imageThumbnail, uprightImage } from './catalog/annotation-media.ts';
import { listIndividuals, renameIndividual } from './catalog/decisions.ts';
import { embedAnnotations } from './catalog/embed.ts';
import type { Embedder, EmbedderFactory, EmbedderRequest } from './catalog/embedder.ts';
import { CatalogError, NotFoundError } from './catalog/errors.ts';
import { importFolder, type ImportOptions } from './catalog/import.ts';
import { findCatalogRoot } from './catalog/layout.ts';
import { catalogFile } from './catalog/media.ts';
import { resolveModel } from './catalog/models.ts';
import { CatalogStore } from './catalog/store/catalog-store.ts';
import type { JobControls } from './jobs/tracked-job.ts';
import type { Identities } from './ranking/identities.ts';
import { IndividualDetails } from './ranking/individual-detail.ts';
import { ReviewLog } from './ranking/review-log.ts';
import { calibrationPriorKey, ReviewQueue } from './ranking/review-queue.ts';
import { exportAs } from './formats/export.ts';
import { readPublishing, updatePublishing } from './formats/publishing-settings.ts';
import { readAnnotationFiles } from './formats/registry.ts';
import { readDetectionsFile } from './formats/megadetector.ts';
import { AnnotationEditor } from './annotation-editor.ts';
import { evaluateCatalog } from './catalog-evaluation.ts';

export interface WorkbenchOptions {
  /** Where `embed` gets an embedder when none is passed; defaults to the model registry's models. */
  embedderFactory?: EmbedderFactory;
  /** Open without write access (a second reader next to a running job). */
  readonly?: boolean;
  /**
   * Compute PAIR-X plausibility for the queue's upcoming questions while nobody waits (the desktop app
   * and the browser mode; a CLI command ends before it would finish).
   */
  backgroundScoring?: boolean;
}

export interface WorkbenchImportOptions extends Omit<ImportOptions, 'annotations'> {
  /** Annotation files in any format src/main/formats recognises, applied in order. */
  annotationFiles?: string[];
  /** One more annotations file (the option's earlier name). */
  annotationsCsv?: string;
  /** A MegaDetector batch-output file: its animal boxes become annotations (formats/megadetector.ts). */
  detections?: string;
  /** Confidence at or above which an animal detection counts; default the file's own threshold, else 0.2. */
  threshold?: number;
}

/** Upcoming questions scored in the background after each look at the queue. */
const SCORE_AHEAD = 12;

export interface EmbedRequest extends JobControls {
  /** Use this embedder instead of asking the factory. */
  embedder?: Embedder;
  model?: string;
  provider?: string;
  batchSize?: number;
}

/**
 * The workbench service for one catalog: the one object the CLI, the local server and Electron's IPC
 * call. Methods return plain data matching src/shared/api.ts; long jobs take progress listeners and an
 * AbortSignal and return a summary with `cancelled` set instead of throwing when cancelled.
 */
export class Workbench {
  readonly models: ModelRegistry;
  private readonly explanations: ExplanationService;
  private readonly review: ReviewQueue;
  private readonly identities: Identities;
  private readonly log: ReviewLog;
  private readonly details: IndividualDetails;

  private upcoming: { identity: string; pairs: { a: number; b: number }[] } | null = null;
  private scoring = false;
  private closed = false;
  /** Embedding runs, one after another (a box edit's re-embedding and a user's job never interleave). */
  private embedding: Promise<unknown> = Promise.resolve();
  private readonly editor: AnnotationEditor;

  private constructor(
    readonly store: CatalogStore,
    private readonly embedderFactory?: EmbedderFactory,
    private readonly backgroundScoring = false,
  ) {
    this.models = new ModelRegistry(store.settings);
    this.review = new ReviewQueue(store);
    this.identities = this.review.identities;
    this.log = new ReviewLog(store, this.review, this.identities);
    this.details = new IndividualDetails(store, this.identities);
    this.explanations = new ExplanationService(
      async () => explainerFor(await this.models.active()),
      (id) => this.annotationSource(id),
    );
    this.editor = new AnnotationEditor(store, {
      forget: (id) => this.explanations.forget(id),
      embed: () => this.embedEdited(),
      background: () => this.backgroundScoring && !this.closed,
      membershipChanged: (id) => {
        if (!this.store.db.readonly) this.store.transaction(() => this.identities.resolveAround([id], { kind: 'resolve', decisionId: null, detail: `annotation ${id} edited` }));
      },
    });
  }

  /** Makes `folder` a catalog (creating `<folder>/.pairx/catalog.sqlite`) and opens it. */
  static init(folder: string, options: WorkbenchOptions = {}): Workbench {
    return new Workbench(CatalogStore.init(folder), options.embedderFactory, options.backgroundScoring);
  }

  static open(folder: string, options: WorkbenchOptions = {}): Workbench {
    return new Workbench(
      CatalogStore.open(folder, { readonly: options.readonly }),
      options.embedderFactory,
      options.backgroundScoring,
    );
  }

  /** The catalog at or above `near` (like git finds its repository), or null. */
  static locate(near: string): string | null {
    return findCatalogRoot(near);
  }

  get folder(): string {
    return this.store.root;
  }

  close(): void {
    this.closed = true;
    this.store.close();
  }

  /**
   * Lets go of every onnxruntime session the models and their explanations hold. A thread that is
   * terminated while native sessions are still alive can abort the whole process, so the workbench
   * thread calls this before it closes.
   */
  async release(): Promise<void> {
    for (const model of await this.models.loadedModels()) await explainerFor(model).release();
  }

  status(): CatalogStatus {
    const { store } = this;
    return store.snapshot(() => {
      const images = store.images.counts();
      const annotations = store.annotations.counts();
      const decisions = store.decisions.counts();
      return {
        folder: store.root,
        schemaVersion: store.schemaVersion,
        images: images.images,
        missingImages: images.missing,
        annotations: annotations.annotations,
        namedAnnotations: annotations.named,
        individuals: store.individuals.withAnnotations().length,
        embedded: store.embeddings.counts(),
        decidedPairs: decisions.decidedPairs,
        logEntries: decisions.entries,
        unfinishedJobs: store.jobs.unfinished(),
      };
    });
  }

  /** Annotations with photo and name: by ids, by individual name, or a page of all. */
  list(args: ApiArgs<'catalog.list'> = {}): ApiResult<'catalog.list'> {
    let individualId: number | undefined;
    if (args.individual !== undefined) {
      const individual = this.store.individuals.byName(args.individual);
      if (!individual) throw new CatalogError(`there is no individual named "${args.individual}"`);
      individualId = individual.id;
    }
    return this.store.annotations.view({
      ids: args.ids,
      individualId,
      imageId: args.imageId,
      offset: args.offset ?? 0,
      limit: args.limit ?? 1000,
    });
  }

  /**
   * Imports photos at or below `folder` (default: the whole catalog folder) with the annotations of the
   * files given, each read in the format its content shows (a file that cannot serve is refused first).
   */
  async importFolder(folder?: string, options: WorkbenchImportOptions = {}): Promise<ImportSummary> {
    const { annotationFiles = [], annotationsCsv, detections, threshold, ...controls } = options;
    const files = annotationsCsv === undefined ? annotationFiles : [...annotationFiles, annotationsCsv];
    const base = resolve(folder ?? this.store.root);
    const annotations = readAnnotationFiles(this.store.root, base, files);
    if (detections !== undefined) annotations.unshift(readDetectionsFile(this.store.root, base, detections, threshold));
    const summary = await importFolder(this.store, folder, { ...controls, annotations });
    // Names a person's file gave are evidence too: where answers had joined photos it now names, who is
    // who is derived again (nothing to do before the first answer).
    if (summary.annotationsAdded + summary.annotationsUpdated > 0 && this.store.decisions.counts().decidedPairs > 0)
      this.store.transaction(() => this.identities.resolveAll({ kind: 'import', decisionId: null, detail: 'names imported' }, false));
    return summary;
  }

  /** Embeds every annotation not yet embedded; a model named here becomes the catalog's active model. */
  embed(request: EmbedRequest = {}): Promise<EmbedSummary> {
    const run = this.embedding.then(() => this.embedNow(request));
    this.embedding = run.catch(() => undefined);
    return run;
  }

  private async embedNow(request: EmbedRequest): Promise<EmbedSummary> {
    if (request.model && !request.embedder)
      await this.models.select((await this.models.add(request.model)).path);
    const embedder =
      request.embedder ??
      (await this.embedderFor({
        model: request.model ?? this.activeModelPath(),
        provider: request.provider ?? this.models.provider,
      }));
    const summary = await embedAnnotations(this.store, {
      embedder,
      batchSize: request.batchSize,
      onProgress: request.onProgress,
      signal: request.signal,
    });
    const prior = (embedder as { calibration?: unknown }).calibration;
    if (prior !== undefined) this.store.settings.set(calibrationPriorKey(summary.model), prior);
    // The new vectors join the stored neighbour graph now, not when the queue is first asked for.
    if (!summary.cancelled) await this.review.updateGraph(resolveModel(this.store, summary.model));
    return summary;
  }

  /**
   * The review queue in the order the reviewer will see it: by default one question per pair of
   * individuals that could still be one animal, most probable first (see ranking/review-queue.ts).
   * For direct callers: options are validated and completed with their defaults here.
   */
  candidates(options: CandidatesOptions = {}): Promise<ApiResult<'pairs.candidates'>> {
    return this.findCandidates(CandidatesArgs.parse(options));
  }

  /** The review queue, for arguments a front has validated already (callApi). */
  async findCandidates(options: ApiParsedArgs<'pairs.candidates'>): Promise<ApiResult<'pairs.candidates'>> {
    await this.editor.settled();
    const model = resolveModel(this.store, options.model);
    const result =
      options.order === 'pairs' ? await this.review.pairs(model, options) : await this.review.candidates(model, options);
    if (options.order === 'individuals' && options.rerank === 'probability') this.scoreUpcoming(model.identity, result.queue);
    return result;
  }

  /**
   * PAIR-X plausibility of the queue's next questions, computed one pair at a time while no request
   * waits and no prefetch runs, so that the calibrated probability can use it before the reviewer gets
   * there. Each look at the queue replaces the list; only the active model's questions are scored.
   */
  private scoreUpcoming(identity: string, queue: readonly CandidatePair[]): void {
    if (!this.backgroundScoring || this.store.db.readonly) return;
    this.upcoming = { identity, pairs: queue.filter((pair) => pair.plausibility === null).slice(0, SCORE_AHEAD) };
    if (this.scoring) return;
    this.scoring = true;
    void (async () => {
      try {
        const active = await this.models.active();
        while (!this.closed && this.upcoming && this.upcoming.pairs.length > 0 && active.id === this.upcoming.identity) {
          if (!this.explanations.quiet) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            continue;
          }
          const { a, b } = this.upcoming.pairs.shift()!;
          try {
            this.noteMatches(await this.explanations.score(a, b, ExplainSettings.parse({})));
          } catch {
            // a photo gone missing: the pair stays without plausibility, and the reviewer sees why when it comes up
          }
        }
      } catch {
        // no model can explain here (none installed, or it cannot be compiled): the queue works without
      } finally {
        this.scoring = false;
      }
    })();
  }

  /** One annotation (its individual) against the strip of its most probable individuals. */
  async strip(args: ApiArgs<'review.strip'>): Promise<ApiResult<'review.strip'>> {
    const annotationId = args.annotationId;
    if (!this.store.annotations.byId(annotationId)) throw new NotFoundError(`there is no annotation ${annotationId}`);
    await this.editor.settled();
    return this.review.strip(resolveModel(this.store, args.model), annotationId, args.limit ?? 8);
  }

  /**
   * Stores the PAIR-X plausibility of a pair under a model (null clears it); `pairs.candidates` with
   * rerank 'plausibility' orders by it.
   */
  setPairPlausibility(a: number, b: number, model: string, value: number | null): void {
    if (value !== null && !Number.isFinite(value))
      throw new CatalogError(`plausibility must be a finite number, not ${value}`);
    const record = resolveModel(this.store, model);
    this.store.transaction(() => {
      const similarity = this.store.embeddings.similarity(record, a, b);
      if (similarity === undefined)
        throw new CatalogError(`annotations ${a} and ${b} do not both have vectors from ${record.identity}`);
      this.store.pairs.setPlausibility(record.id, a, b, similarity, value);
    });
  }

  /**
   * Records a verdict, committed before it returns, as evidence: with what the queue knew of the pair
   * (its calibration sample) and who is who derived again around it, in the same transaction.
   */
  decide(
    a: number,
    b: number,
    verdict: Verdict,
    options: { note?: string; reviewer?: string; confirmMerge?: MergeChoice } = {},
  ): DecideResult {
    return this.log.decide(a, b, verdict, options);
  }

  /** "None of these": a "different" decision for each pair, all committed together (one batch) or none. */
  decideNoneOf(args: ApiArgs<'decisions.noneOf'>): ApiResult<'decisions.noneOf'> {
    return { decisions: this.log.differentFromEach(args.pairs, { note: args.note, reviewer: args.reviewer }) };
  }

  /** Splits a photo off its individual: "different" against each other member, one batch. */
  split(args: ApiArgs<'decisions.split'>): ApiResult<'decisions.split'> {
    return { decisions: this.log.split(args.annotationId, { note: args.note, reviewer: args.reviewer }) };
  }

  /** Takes back the newest decision in force (with its batch). */
  undo(options: { reviewer?: string } = {}): UndoResult {
    return this.log.undo(options.reviewer);
  }

  /**
   * Derives every annotation's individual again from the whole log (after decisions arrived from
   * elsewhere); answers how many annotations changed individual.
   */
  resolveIdentities(): number {
    return this.store.transaction(() => this.identities.resolveAll({ kind: 'sync', decisionId: this.store.decisions.newestId() ?? null }).changed);
  }

  /** Disagreements the evidence has not settled, with the answers involved. */
  async disputes(args: ApiParsedArgs<'disputes.list'>): Promise<ApiResult<'disputes.list'>> {
    const model = resolveModel(this.store, args.model);
    const options = CandidatesArgs.parse({ duplicateNames: args.duplicateNames });
    await this.editor.settled();
    return this.review.disputes(model, options);
  }

  /** Each reviewer's answers, how many the evidence overturned, and the accuracy their answers weigh with. */
  reviewers(): ApiResult<'reviewers.list'> {
    return this.identities.accuracies.list();
  }

  /** Sets (or clears, with null) a reviewer's accuracy; who is who is derived again with it. */
  setReviewerAccuracy(args: ApiParsedArgs<'reviewers.set'>): ApiResult<'reviewers.list'> {
    this.store.transaction(() => this.identities.setAccuracy(args.reviewer ?? null, args.accuracy));
    return this.identities.accuracies.list();
  }

  /** The whole decision log, oldest first. */
  decisions(): Decision[] {
    return this.store.decisions.list();
  }

  /** One individual's photos with how strongly the evidence holds each to the rest. */
  individual(name: string): ApiResult<'individuals.get'> {
    return this.details.get(name);
  }

  /** Why an annotation is in its individual, and the decisions that moved it. */
  why(annotationId: number): ApiResult<'annotations.why'> {
    return this.details.why(annotationId);
  }

  listIndividuals(): Individual[] {
    return listIndividuals(this.store);
  }

  renameIndividual(from: string, to: string, options: { reviewer?: string } = {}): IndividualRef {
    return renameIndividual(this.store, from, to, options.reviewer);
  }

  /** Photos with how many animals are marked on each. */
  photos(args: ApiParsedArgs<'catalog.photos'>): ApiResult<'catalog.photos'> {
    return this.store.images.photos(args);
  }

  /** Box edits (annotation-editor.ts): drawn, changed, deleted, undone. */
  addAnnotation(args: ApiArgs<'annotations.add'>): Annotation {
    return this.editor.add(args);
  }

  updateAnnotation(args: ApiArgs<'annotations.update'>): Annotation {
    return this.editor.update(args);
  }

  deleteAnnotation(args: ApiArgs<'annotations.delete'>): { id: number } {
    return this.editor.delete(args);
  }

  undoAnnotationEdit(args: ApiArgs<'annotations.undo'>): ApiResult<'annotations.undo'> {
    return this.editor.undo(args);
  }

  /** rank-1 and mAP of a model (the catalog's active one unless named) over the named annotations. */
  async evaluate(args: ApiArgs<'catalog.evaluate'> = {}): Promise<CatalogEvaluation> {
    await this.editor.settled();
    return evaluateCatalog(this.store, resolveModel(this.store, args.model), this.models);
  }

  /** Writes the catalog in a format of the field (csv, camtrap-dp, wildbook); see formats/export.ts. */
  exportCatalog(args: ApiArgs<'catalog.export'> = {}): Promise<ExportResult> {
    return exportAs(this.store, ExportArgs.parse(args), (reviewer) => this.identities.accuracies.of(reviewer));
  }

  /** The models' settings and the catalog's publishing settings. */
  settings(): WorkbenchSettings {
    return { ...this.models.settingsView(), publishing: readPublishing(this.store.settings) };
  }

  updateSettings({ reviewer, provider, ...publishing }: ApiParsedArgs<'settings.set'>): WorkbenchSettings {
    this.models.update({ reviewer, provider });
    updatePublishing(this.store.settings, publishing);
    return this.settings();
  }

  /**
   * Embeds what box edits left without a vector, with the active model, but only where that model has
   * embedded this catalog already: an edit never starts a whole catalog's embedding with a model only
   * chosen in Settings.
   */
  private async embedEdited(): Promise<void> {
    const embedder = await this.embedderFor({ model: this.activeModelPath(), provider: this.models.provider });
    const record = this.store.embeddings.model(embedder.modelId);
    if (!record || this.store.embeddings.count(record.id) === 0) return;
    await this.embed({ embedder });
  }

  /** The registry's own load, so that embedding and explaining share one parse, shape probe and session. */
  private async embedderFor(request: EmbedderRequest): Promise<Embedder> {
    if (this.embedderFactory) return this.embedderFactory(request);
    const path = request.model ?? defaultModelPath(); // says that no default model is installed
    return modelEmbedder(await this.models.load(path, request.provider as ProviderChoice | undefined));
  }

  private activeModelPath(): string | undefined {
    try {
      return this.models.activePath();
    } catch {
      return undefined; // the engine then reports that no default model is installed
    }
  }

  /** The photo and crop behind an annotation, for the engine. */
  private annotationSource(id: number): AnnotationSource {
    const annotation = this.store.annotations.view({ ids: [id], offset: 0, limit: 1 }).annotations[0];
    if (!annotation) throw new NotFoundError(`there is no annotation ${id}`);
    const path = join(this.folder, annotation.image);
    if (!existsSync(path))
      throw new NotFoundError(`the photo of annotation ${id} is missing: ${annotation.image}`);
    return { path, crop: annotation.box ? { ...annotation.box, theta: annotation.theta } : undefined };
  }

  /** PAIR-X steps 1–5 for a pair (cached); records the pair's plausibility for re-ranking. */
  async explainPair({ a, b, ...settings }: ApiParsedArgs<'pairs.explain'>): Promise<PairMatchesPayload> {
    return this.noteMatches(await this.explanations.matches(a, b, settings));
  }

  /** PAIR-X step 6 (pixel maps) for a pair, after explainPair or on its own. */
  pairPixels({ a, b, ...settings }: ApiParsedArgs<'pairs.pixels'>): Promise<PairPixelsPayload> {
    return this.explanations.pixels(a, b, settings);
  }

  /**
   * Explains a pair in the background (the next pair of the queue): answers with what explainPair
   * would once the first phase is done, and computes the pixel maps after it, while nobody waits.
   */
  async prefetchPair({ a, b, ...settings }: ApiParsedArgs<'pairs.prefetch'>): Promise<PairMatchesPayload> {
    return this.noteMatches(await this.explanations.prefetch(a, b, settings));
  }

  /** What an explanation teaches the catalog: the provider in use, and the pair's plausibility. */
  private noteMatches(payload: PairMatchesPayload): PairMatchesPayload {
    this.models.noteProvider(payload.provider);
    if (payload.plausibility) {
      try {
        this.setPairPlausibility(payload.a, payload.b, payload.model, payload.plausibility.inlierRatio);
      } catch {
        // the pair has no stored vectors under this model: nothing to re-rank
      }
    }
    return payload;
  }

  /**
   * A picture a window shows or saves, by what it names (never by path): an annotation's model-sized
   * view or the explanation picture (PNG, computed), its thumbnail or photo (a file inside the catalog).
   * Every front's pictures, exports included, come from here.
   */
  async media(request: MediaRequest): Promise<Media> {
    switch (request.kind) {
      case 'view':
        return { contentType: 'image/png', bytes: await this.annotationViewPng(request.annotationId) };
      case 'export': {
        const { a, b, ...settings } = request;
        return { contentType: 'image/png', bytes: await this.explanationPng(a, b, settings) };
      }
      case 'thumb':
        return annotationThumbnail(this.store, request.annotationId);
      case 'image':
        return uprightImage(this.store, request.imageId);
      case 'image-thumb':
        return imageThumbnail(this.store, request.imageId);
      default:
        return catalogFile(this.store, request);
    }
  }

  /** The explanation picture in the reference layout (PNG), for export. */
  explanationPng(a: number, b: number, settings: Partial<ExplainSettings> = {}): Promise<Buffer> {
    return this.explanations.png(a, b, ExplainSettings.parse(settings));
  }

  /** The model-sized view of an annotation (PNG): the explanation's coordinates refer to it. */
  annotationViewPng(annotationId: number): Promise<Buffer> {
    return this.explanations.viewPng(annotationId);
  }

  async modelLayers(model?: string): Promise<ApiResult<'models.layers'>> {
    const loaded = model ? await this.models.find(model) : await this.models.active();
    return { default: loaded.defaultLayer, layers: loaded.listLayers() };
  }
}
