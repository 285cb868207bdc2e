import type { ApiResult, CandidatePair, IndividualRef, ReviewProgress } from '../../shared/api.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { ModelRecord } from '../catalog/store/embeddings.ts';
import { resolveModel } from '../catalog/models.ts';
import { Confirmations } from './confirmations.ts';
import { Identities, type ModelEvidence } from './identities.ts';
import type { NeighbourEdges } from '../catalog/store/neighbours.ts';
import {
  CalibrationWeights,
  fitCalibration,
  GENERIC_PRIOR,
  probability,
  type PairFeatures,
  type Sample,
} from './calibration.ts';
import { findCandidates, type CandidateOptions } from './candidates.ts';
import type { HumanEvidence } from './evidence.ts';
import { buildIdentityQueue, QueueScratch, type QueueEntry } from './identity-queue.ts';
import { questionReason, type ReasonContext } from './question-reasons.ts';
import { Knowledge, pairNumber } from './knowledge.ts';
import { GRAPH_K, searchMissing, updateNeighbourGraph } from './neighbour-graph.ts';
import type { NewEdge } from '../catalog/store/neighbours.ts';

type StripResult = ApiResult<'review.strip'>;

/** Where a model's calibration prior is kept in the catalog's settings (from its model card). */
export const calibrationPriorKey = (identity: string): string => `calibrationPrior:${identity}`;

/** A disagreement whose posterior is below this (or above its complement) is settled by the evidence. */
const DISPUTE_SETTLED = 0.01;

/** Samples the imported names give, at most: enough for five weights, few enough to fit in milliseconds. */
const NAMED_SAMPLE_LIMIT = 4000;

interface Inputs {
  facts: ReturnType<CatalogStore['annotations']['allFacts']>;
  knowledge: Knowledge;
  plausibility: Map<number, number>;
  decisions: number;
}

/** What fitting the calibration reads of the catalog. */
type CalibrationInputs = Omit<Inputs, 'knowledge'>;

/**
 * The review queue over individuals for one catalog: the stored neighbour graph (brought up to date and
 * widened on demand), the knowledge of who is who, and the calibration fitted to the catalog's own
 * decisions. The graph's edges and the fitted weights are cached between calls, keyed by what they were
 * computed from, so that a decision costs one pass over the edges and not a search.
 */
export class ReviewQueue {
  private edgeCache: { modelId: number; version: string; edges: NeighbourEdges } | null = null;
  private weightCache: { key: string; weights: CalibrationWeights } | null = null;
  private readonly scratch = new QueueScratch();
  private namedCache: { key: string; samples: Sample[] } | null = null;
  /** The decisions' calibration samples, kept while the log is unchanged (a derivation fits once per round). */
  private decidedCache: { key: string; samples: ReturnType<CatalogStore['decisions']['calibrationSamples']> } | null = null;

  /** Who is who: the assignment derived from the evidence, with the model's side from this queue's calibration. */
  readonly identities: Identities;
  private readonly confirmations: Confirmations;

  constructor(private readonly store: CatalogStore) {
    this.identities = new Identities(store, (fresh) => this.modelEvidence(fresh));
    this.confirmations = new Confirmations(store, this.identities);
  }

  /**
   * The model's side of the evidence: the active model and its calibration as last fitted (a decision is
   * recorded between two looks at the queue, which fit it), or fitted now from the stored graph.
   */
  private modelEvidence(fresh: boolean): ModelEvidence | null {
    let model: ModelRecord;
    try {
      model = resolveModel(this.store);
    } catch {
      return null; // nothing embedded: answers alone decide
    }
    const cached = !fresh && this.weightCache?.key.startsWith(`${model.id}|`) ? this.weightCache.weights : null;
    return { model, weights: cached ?? this.currentWeights(model) };
  }

  /** The calibration for a model from what is stored now, without searching the graph. */
  currentWeights(model: ModelRecord): CalibrationWeights {
    const edges = this.edgeCache?.modelId === model.id ? this.edgeCache.edges : this.store.neighbours.edges(model.id);
    // What the fit reads of the catalog, without the queue's view of the answers (a derivation asks for
    // the weights once per round over the whole log).
    const inputs = this.store.snapshot(() => ({
      facts: this.store.annotations.allFacts(),
      plausibility: new Map(this.store.pairs.plausibilities(model.id).map(([a, b, value]) => [pairNumber(a, b), value])),
      decisions: this.store.decisions.countInForce(),
    }));
    return this.weights(model, inputs, edges);
  }

  /** Brings the stored graph up to date with the model's vectors (after an embedding run). */
  async updateGraph(model: ModelRecord): Promise<void> {
    await updateNeighbourGraph(this.store, model, Math.max(this.store.neighbours.depth(model.id), GRAPH_K));
  }

  /**
   * The graph's edges, up to date. A read-only connection (a second window beside a running job)
   * cannot store what is missing, so it searches it and keeps it in memory with the stored edges.
   */
  private async graph(model: ModelRecord, k: number): Promise<NeighbourEdges> {
    const { readonly } = this.store.db;
    if (!readonly) await updateNeighbourGraph(this.store, model, k);
    const version = `${this.store.neighbours.version(model.id)}|${readonly ? `${this.store.embeddings.count(model.id)}|${k}` : ''}`;
    if (this.edgeCache?.modelId === model.id && this.edgeCache.version === version)
      return this.edgeCache.edges;
    let edges = this.store.neighbours.edges(model.id);
    if (readonly) {
      const missing = await searchMissing(this.store, model, k);
      if (missing.edges.length > 0) edges = appendEdges(edges, missing.edges);
    }
    this.edgeCache = { modelId: model.id, version, edges };
    return edges;
  }

  private inputs(duplicateNames: boolean, model: ModelRecord, recentAnswers?: number): Inputs {
    return this.store.snapshot(() => {
      const facts = this.store.annotations.allFacts();
      const decisions = this.identities.answers();
      const knowledge = new Knowledge(
        [...facts.values()],
        decisions,
        this.store.individuals.namedIds(),
        duplicateNames,
        recentAnswers,
      );
      return {
        facts,
        knowledge,
        plausibility: new Map(
          this.store.pairs.plausibilities(model.id).map(([a, b, value]) => [pairNumber(a, b), value]),
        ),
        decisions: decisions.length,
      };
    });
  }

  /** The prior from the model card (kept when the model embedded), else a generic one. */
  prior(model: ModelRecord): CalibrationWeights {
    const stored = CalibrationWeights.safeParse(this.store.settings.get(calibrationPriorKey(model.identity)));
    return stored.success ? stored.data : GENERIC_PRIOR;
  }

  /**
   * The weights fitted to this catalog: its "same"/"different" decisions under the model, and the pairs
   * of the graph that imported names settle (same name or two names), on top of the card's prior.
   */
  weights(model: ModelRecord, inputs: CalibrationInputs, edges: NeighbourEdges): CalibrationWeights {
    const logKey = `${model.id}|${this.store.decisions.logVersion()}`;
    if (this.decidedCache?.key !== logKey) this.decidedCache = { key: logKey, samples: this.store.decisions.calibrationSamples(model.id) };
    const decided = this.decidedCache.samples;
    const key = `${model.id}|${inputs.decisions}|${decided.length}|${edges.a.length}|${inputs.plausibility.size}|${this.identities.accuracies.key()}`;
    if (this.weightCache?.key === key) return this.weightCache.weights;
    // A reviewer's answers are labels with their error rate; names a person gave are taken as right.
    const accuracy = new Map<string | null, number>();
    const accuracyOf = (reviewer: string | null) => accuracy.get(reviewer) ?? accuracy.set(reviewer, this.identities.accuracies.of(reviewer)).get(reviewer)!;
    const answers: Sample[] = decided.map(({ reviewer, ...sample }) => ({ ...sample, noise: 1 - accuracyOf(reviewer) }));
    const samples: Sample[] = [...answers, ...this.namedSamples(model, inputs, edges)];
    const weights = fitCalibration(samples, this.prior(model), 4, ['logSizes']);
    this.weightCache = { key, weights };
    return weights;
  }

  /**
   * Graph pairs that imported names settle (same name: one animal; two names: two), at most
   * NAMED_SAMPLE_LIMIT, kept until the graph or the named individuals change.
   */
  private namedSamples(model: ModelRecord, inputs: CalibrationInputs, edges: NeighbourEdges): Sample[] {
    const named = this.store.individuals.namedIds();
    const key = `${model.id}|${edges.a.length}|${named.size}|${inputs.facts.size}|${inputs.plausibility.size}`;
    if (this.namedCache?.key === key) return this.namedCache.samples;
    const samples: Sample[] = [];
    const stride = Math.max(1, Math.ceil(edges.a.length / (NAMED_SAMPLE_LIMIT * 8)));
    for (let edge = 0; edge < edges.a.length && samples.length < NAMED_SAMPLE_LIMIT; edge += stride) {
      const ia = inputs.facts.get(edges.a[edge])?.individualId ?? null;
      const ib = inputs.facts.get(edges.b[edge])?.individualId ?? null;
      if (ia === null || ib === null || !named.has(ia) || !named.has(ib)) continue;
      const plausibility = inputs.plausibility.get(pairNumber(edges.a[edge], edges.b[edge])) ?? null;
      samples.push({ same: ia === ib, similarity: edges.similarity[edge], plausibility, sizeA: 1, sizeB: 1 });
    }
    this.namedCache = { key, samples };
    return samples;
  }

  private individualRef(cluster: number): IndividualRef | null {
    return Knowledge.individualOf(cluster) === null ? null : (this.store.individuals.byId(cluster) ?? null);
  }

  private toPair(
    entry: Omit<QueueEntry, 'priority' | 'kind' | 'human' | 'repeated'> & Partial<QueueEntry>,
    names: Map<number, IndividualRef | null>,
    reasons?: ReasonContext,
  ): CandidatePair {
    const ref = (cluster: number) => {
      if (!names.has(cluster)) names.set(cluster, this.individualRef(cluster));
      return names.get(cluster)!;
    };
    const pair: CandidatePair = {
      a: entry.a,
      b: entry.b,
      similarity: entry.similarity,
      plausibility: entry.plausibility,
      probability: entry.probability,
      individualA: ref(entry.clusterA),
      individualB: ref(entry.clusterB),
      sizeA: entry.sizeA,
      sizeB: entry.sizeB,
    };
    if (entry.kind === undefined) return pair;
    return { ...pair, kind: entry.kind, reason: reasons ? questionReason(entry as QueueEntry, reasons) : null };
  }

  /** What the reasons of the shown questions are told from: the answers, and each cluster's members and name. */
  private reasonContext(inputs: Inputs, names: Map<number, IndividualRef | null>): ReasonContext {
    let byCluster: Map<number, number[]> | null = null;
    let evidence: HumanEvidence | null = null;
    const identities = this.identities;
    return {
      // Read only when a shown question is not a first look.
      get evidence() {
        evidence ??= identities.evidence();
        return evidence;
      },
      membersOf: (cluster) => {
        if (!byCluster) {
          byCluster = new Map();
          for (const fact of inputs.facts.values()) {
            const key = inputs.knowledge.clusterOf(fact.id)!;
            const list = byCluster.get(key);
            if (list) list.push(fact.id);
            else byCluster.set(key, [fact.id]);
          }
        }
        return byCluster.get(cluster) ?? [];
      },
      nameOf: (cluster) => {
        if (!names.has(cluster)) names.set(cluster, this.individualRef(cluster));
        return names.get(cluster)?.name ?? null;
      },
    };
  }

  /**
   * The queue over individuals. When nothing is left to ask but the graph has not yet linked every
   * pair of annotations, the graph is searched wider (k doubled) until a question appears or every
   * annotation has been compared with every other.
   */
  async build(model: ModelRecord, options: CandidateOptions & { focus?: number; entries?: number; recentAnswers?: number }) {
    let k = Math.max(GRAPH_K, this.store.neighbours.depth(model.id));
    for (;;) {
      const edges = await this.graph(model, k);
      const inputs = this.inputs(options.duplicateNames, model, options.recentAnswers);
      const weights = this.weights(model, inputs, edges);
      const queue = buildIdentityQueue(
        inputs.facts,
        inputs.knowledge,
        edges,
        inputs.plausibility,
        weights,
        {
          sameSide: options.sameSide,
          excludeSameImage: options.excludeSameImage,
          focus: options.focus,
          limit: options.entries,
        },
        this.scratch,
        options.focus === undefined ? this.confirmations.list(inputs.facts, inputs.knowledge, options) : [],
      );
      const embedded = this.store.embeddings.count(model.id);
      const exhausted = k >= embedded - 1;
      // Questions asked again and joins to confirm never run out while answers disagree; the graph is
      // searched wider once no pair of individuals is left that nobody has been asked about.
      if (queue.fresh > 0 || exhausted || (options.focus !== undefined && queue.open > 0)) {
        const progress: ReviewProgress = {
          decisions: inputs.decisions,
          annotations: inputs.facts.size,
          individuals: inputs.knowledge.individuals,
          openQuestions: queue.open,
          expectedMatches: queue.expectedMatches,
        };
        return { queue, inputs, weights, progress };
      }
      k *= 2;
    }
  }

  async candidates(model: ModelRecord, options: CandidateOptions): Promise<ApiResult<'pairs.candidates'>> {
    // Other orders than the probability's need every entry before they can cut.
    const entriesWanted = options.rerank === 'probability' ? options.limit : undefined;
    const { queue, progress, inputs } = await this.build(model, {
      ...options,
      focus: options.annotationId,
      entries: entriesWanted,
    });
    let entries = queue.entries;
    if (options.rerank === 'similarity')
      entries = [...entries].sort((x, y) => y.similarity - x.similarity || x.a - y.a);
    else if (options.rerank === 'plausibility')
      entries = [...entries].sort(
        (x, y) => (y.plausibility ?? -1) - (x.plausibility ?? -1) || y.probability - x.probability,
      );
    const names = new Map<number, IndividualRef | null>();
    const shown = options.limit ? entries.slice(0, options.limit) : entries;
    const reasons = this.reasonContext(inputs, names);
    return {
      model: model.identity,
      queue: shown.map((entry) => this.toPair(entry, names, reasons)),
      perAnnotation: [],
      progress,
    };
  }

  /**
   * What is still disputed: the questions of the queue whose answers disagree (two reviewers, or answers
   * that together contradict) and that the evidence has not settled (posterior between DISPUTE_SETTLED and
   * its complement; a weak join is open by being in the queue at all), each with the answers involved.
   */
  async disputes(model: ModelRecord, options: CandidateOptions): Promise<ApiResult<'disputes.list'>> {
    // Disputes answered a moment ago are disputes too, though the queue holds their pairs back a while.
    const { queue, inputs } = await this.build(model, { ...options, entries: undefined, recentAnswers: 0 });
    const names = new Map<number, IndividualRef | null>();
    const reasons = this.reasonContext(inputs, names);
    const disputes: ApiResult<'disputes.list'> = [];
    for (const entry of queue.entries) {
      if (entry.kind === 'new') continue;
      if (entry.kind === 'again' && (entry.probability < DISPUTE_SETTLED || entry.probability > 1 - DISPUTE_SETTLED)) continue;
      const reason = questionReason(entry, reasons);
      if (reason?.kind !== 'disagreement') continue;
      const pair = this.toPair(entry, names, reasons);
      const answers = reason.decisions.map((id) => this.store.decisions.byId(id)!);
      disputes.push({ question: pair, answers });
    }
    return disputes;
  }

  /**
   * The plain pair queue (every annotation's k nearest, each pair once, by similarity or plausibility),
   * with each pair's individuals and probability as the review queue would give them.
   */
  async pairs(model: ModelRecord, options: CandidateOptions): Promise<ApiResult<'pairs.candidates'>> {
    const plain = await findCandidates(this.store, model, options);
    const edges = await this.graph(model, GRAPH_K);
    const inputs = this.inputs(options.duplicateNames, model);
    const weights = this.weights(model, inputs, edges);
    const { knowledge } = inputs;
    const names = new Map<number, IndividualRef | null>();
    const queue = plain.queue.map((pair) => {
      const clusterA = knowledge.clusterOf(pair.a)!;
      const clusterB = knowledge.clusterOf(pair.b)!;
      const sizeA = knowledge.sizeOf(clusterA);
      const sizeB = knowledge.sizeOf(clusterB);
      const entry = {
        ...pair,
        clusterA,
        clusterB,
        sizeA,
        sizeB,
        probability: probability(weights, { ...pair, sizeA, sizeB }),
      };
      return this.toPair(entry, names);
    });
    const progress: ReviewProgress = {
      decisions: inputs.decisions,
      annotations: inputs.facts.size,
      individuals: knowledge.individuals,
      openQuestions: queue.length,
      expectedMatches: queue.reduce((sum, pair) => sum + pair.probability, 0),
    };
    return { model: model.identity, queue, perAnnotation: plain.perAnnotation, progress };
  }

  /** One annotation's individual against its most probable other individuals, best pair each. */
  async strip(model: ModelRecord, annotationId: number, limit: number): Promise<StripResult> {
    const options: CandidateOptions = {
      order: 'individuals',
      k: 10,
      sameSide: true,
      excludeDecided: true,
      excludeSameName: true,
      excludeSameImage: true,
      duplicateNames: false,
      rerank: 'probability',
    };
    // Every question about the focus individual (few), the most probable first: one photo against the
    // individuals it most probably is, whether they were asked about before or not.
    const { queue, inputs, progress } = await this.build(model, { ...options, focus: annotationId });
    const focus = inputs.knowledge.clusterOf(annotationId)!;
    const members = [...inputs.facts.values()]
      .filter((f) => inputs.knowledge.clusterOf(f.id) === focus)
      .map((f) => f.id);
    const names = new Map<number, IndividualRef | null>();
    const reasons = this.reasonContext(inputs, names);
    const best = [...queue.entries].sort((x, y) => y.probability - x.probability || x.a - y.a || x.b - y.b).slice(0, limit);
    const candidates = best.map((entry) => {
      const pair = this.toPair(entry, names, reasons);
      // The focus individual's member first.
      return entry.clusterA === focus
        ? pair
        : {
            ...pair,
            a: pair.b,
            b: pair.a,
            individualA: pair.individualB,
            individualB: pair.individualA,
            sizeA: pair.sizeB,
            sizeB: pair.sizeA,
          };
    });
    return {
      model: model.identity,
      annotationId,
      individual: this.individualRef(focus),
      members,
      candidates,
      progress,
    };
  }

  /** What the queue knows of a pair now: stored as the decision's features, for the calibration. */
  features(model: ModelRecord, a: number, b: number): PairFeatures | null {
    const similarity = this.store.embeddings.similarity(model, a, b);
    if (similarity === undefined) return null;
    const size = (id: number) => {
      const individual = this.store.annotations.byId(id)?.individualId ?? null;
      return individual === null ? 1 : this.store.individuals.annotationCount(individual);
    };
    return {
      similarity,
      plausibility: this.store.pairs.get(model.id, a, b)?.plausibility ?? null,
      sizeA: size(a),
      sizeB: size(b),
    };
  }
}

function appendEdges(edges: NeighbourEdges, extra: readonly NewEdge[]): NeighbourEdges {
  const n = edges.a.length;
  const out: NeighbourEdges = {
    a: new Int32Array(n + extra.length),
    b: new Int32Array(n + extra.length),
    similarity: new Float32Array(n + extra.length),
  };
  out.a.set(edges.a);
  out.b.set(edges.b);
  out.similarity.set(edges.similarity);
  extra.forEach((edge, i) => {
    out.a[n + i] = Math.min(edge.a, edge.b);
    out.b[n + i] = Math.max(edge.a, edge.b);
    out.similarity[n + i] = edge.similarity;
  });
  return out;
}
