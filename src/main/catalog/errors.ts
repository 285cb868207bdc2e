/**
 * A problem the user can act on (wrong folder, bad argument, nothing to undo). Fronts show its message as
 * one line without a stack trace; any other error is a bug and keeps its stack.
 */
export class CatalogError extends Error {
  override name = 'CatalogError';
}
