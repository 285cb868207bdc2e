import type { CallErrorKind } from '../../shared/bridge.ts';
import { PairxError } from '../errors.ts';

/**
 * A problem with the catalog the user can act on (wrong folder, bad argument, nothing to undo): bad input
 * unless said otherwise. Fronts show its message as one line without a stack trace.
 */
export class CatalogError extends PairxError {
  constructor(message: string, kind: CallErrorKind = 'invalid-arguments') {
    super(kind, message);
  }
}

/** What a request names does not exist (an annotation id, a photo): fronts answer "not found" (HTTP 404). */
export class NotFoundError extends CatalogError {
  constructor(message: string) {
    super(message, 'not-found');
  }
}
