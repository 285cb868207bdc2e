import type { DecisionInForceRow } from '../catalog/store/decisions.ts';

/**
 * How who-is-who breaks the ties the evidence leaves (two merges of equal weight, two equally weak cuts,
 * two merge choices made at the same instant). Alone, a catalog breaks them by its local ids, which say
 * in which order things were made here. Catalogs that share their log (team mode) number the same photos
 * and decisions differently, so they pass an order they all share instead, and derive the same partition
 * from the same log.
 */
export interface TieOrder {
  /** A rank for each of these annotations (smaller first), the same wherever the annotations are. */
  annotationRanks(ids: readonly number[]): Map<number, number>;
  /** What orders decisions made at the same instant (by default their id). */
  decisionKey(row: DecisionInForceRow): string;
}

/** The rank function for some annotations under an order (undefined: the local id). */
export function rankFunction(order: TieOrder | null, ids: readonly number[]): ((annotation: number) => number) | undefined {
  if (order === null) return undefined;
  const ranks = order.annotationRanks(ids);
  // An annotation the order does not know (none should be) after every one it knows, by id.
  return (annotation) => ranks.get(annotation) ?? ranks.size + annotation;
}
