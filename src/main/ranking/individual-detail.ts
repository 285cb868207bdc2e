import type { ApiResult } from '../../shared/api.ts';
import { CatalogError, NotFoundError } from '../catalog/errors.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { Identities } from './identities.ts';
import { answersBetween } from './question-reasons.ts';

type Detail = ApiResult<'individuals.get'>;
type Why = ApiResult<'annotations.why'>;

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/**
 * One individual at a glance, and why an annotation is where it is: what holds each member to the rest
 * (the answers across, the model's log-odds, their posterior), the member the evidence supports least,
 * and the history of an annotation's individuals with the decisions that moved it.
 */
export class IndividualDetails {
  constructor(
    private readonly store: CatalogStore,
    private readonly identities: Identities,
  ) {}

  get(name: string): Detail {
    const individual = this.store.individuals.byName(name);
    if (!individual) throw new CatalogError(`there is no individual named "${name}"`);
    const members = this.store.annotations.byIndividual(individual.id);
    const ids = members.map((member) => member.id);
    const evidence = this.identities.evidence();
    const model = this.identities.modelView();
    const cuts = ids.length > 1 ? this.identities.cutsOf(ids) : [];
    const memberships = members.map((member) => {
      // The cut with this member's seed (itself, or the photos a person gave its name) on one side.
      const cut = cuts.find((candidate) => candidate.side.includes(member.id) && candidate.side.every((id) => this.sameSeed(id, member.id)));
      const modelLogOdds = cut?.stats ? model.logOdds(cut.stats) : (cut?.model ?? null);
      const logOdds = cut ? cut.human + (modelLogOdds ?? 0) : null;
      let closest: { annotationId: number; similarity: number } | null = null;
      for (const other of ids) {
        if (other === member.id) continue;
        const similarity = model.similarity(member.id, other);
        if (similarity !== undefined && (!closest || similarity > closest.similarity)) closest = { annotationId: other, similarity };
      }
      const others = ids.filter((id) => id !== member.id);
      const answers = answersBetween(evidence, [member.id], others);
      return {
        annotationId: member.id,
        givenByPerson: member.givenIndividualId === individual.id,
        logOdds,
        support: logOdds === null ? null : sigmoid(logOdds),
        human: cut?.human ?? 0,
        model: modelLogOdds,
        closest,
        answers: answers.map((answer) => ({
          decisionId: answer.decisionId,
          other: answer.a === member.id ? answer.b : answer.a,
          verdict: answer.verdict,
          reviewer: answer.reviewer,
          weight: answer.weight,
        })),
      };
    });
    const scored = memberships.filter((member) => member.logOdds !== null);
    const weakest = scored.length === 0 ? null : scored.reduce((x, y) => (y.logOdds! < x.logOdds! ? y : x)).annotationId;
    return { individual: { id: individual.id, name: individual.name }, named: this.store.individuals.isNamed(individual.id), members: memberships, weakest };
  }

  private sameSeed(x: number, y: number): boolean {
    if (x === y) return true;
    const seed = this.store.annotations.givenIndividualOf(x);
    return seed !== null && seed === this.store.annotations.givenIndividualOf(y);
  }

  /** Why an annotation is in its individual: the evidence now, and each change of its individual with its cause. */
  why(annotationId: number): Why {
    const annotation = this.store.annotations.byId(annotationId);
    if (!annotation) throw new NotFoundError(`there is no annotation ${annotationId}`);
    const individual = annotation.individualId === null ? null : this.store.individuals.byId(annotation.individualId)!;
    const membership = individual ? this.get(individual.name).members.find((member) => member.annotationId === annotationId)! : null;
    const nameOf = (id: number | null) => (id === null ? null : (this.store.individuals.byId(id)?.name ?? null));
    const evidence = this.identities.evidence();
    const answers = [...(evidence.partners.get(annotationId) ?? [])]
      .flatMap((other) => evidence.answersOf(annotationId, other))
      .sort((x, y) => x.decisionId - y.decisionId)
      .map((answer) => {
        const other = answer.a === annotationId ? answer.b : answer.a;
        const otherIndividual = this.store.annotations.byId(other)?.individualId ?? null;
        return {
          decisionId: answer.decisionId,
          other,
          otherIndividual: nameOf(otherIndividual),
          verdict: answer.verdict,
          reviewer: answer.reviewer,
          weight: answer.weight,
        };
      });
    const history = this.store.decisions
      .effectsOf([annotationId])
      .reverse()
      .map((change) => ({
        decision: change.decisionId === null ? null : (this.store.decisions.byId(change.decisionId) ?? null),
        cause: change.cause,
        detail: change.detail,
        at: change.createdAt ?? (change.decisionId === null ? null : (this.store.decisions.byId(change.decisionId)?.createdAt ?? null)),
        before: nameOf(change.individualBefore),
        after: nameOf(change.individualAfter),
      }));
    return {
      annotationId,
      individual: individual && { id: individual.id, name: individual.name },
      givenByPerson: annotation.givenIndividualId !== null && annotation.givenIndividualId === annotation.individualId,
      membership: membership && { logOdds: membership.logOdds, support: membership.support, human: membership.human, model: membership.model },
      answers,
      history,
    };
  }
}
