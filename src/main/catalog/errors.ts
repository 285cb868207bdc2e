/**
 * A problem the user can act on (wrong folder, bad argument, nothing to undo). Fronts show its message as
 * one line without a stack trace; any other error is a bug and keeps its stack.
 */
export class CatalogError extends Error {
  override name = 'CatalogError';
}

/** What a request names does not exist (an annotation id): fronts answer "not found" (HTTP 404). */
export class NotFoundError extends CatalogError {
  override name = 'NotFoundError';
}
