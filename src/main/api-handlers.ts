import { api, type ApiMethod, type ApiParsedArgs, type ApiResult } from '../shared/api.ts';
import { PairxError } from './errors.ts';
import type { JobControls } from './jobs/tracked-job.ts';
import type { Workbench } from './workbench.ts';

type Handler<M extends ApiMethod> = (args: ApiParsedArgs<M>, controls: JobControls) => ApiResult<M> | Promise<ApiResult<M>>;
type Handlers = { [M in ApiMethod]: Handler<M> };

/** Each API method as a call on the workbench; the fronts (IPC, server) reach the workbench only through here. */
export function workbenchHandlers(workbench: Workbench): Handlers {
  return {
    'catalog.status': () => workbench.status(),
    'catalog.list': (args) => workbench.list(args),
    'catalog.import': (args, controls) =>
      workbench.importFolder(args.folder, {
        annotationFiles: [args.annotations, args.annotationsCsv].filter((file) => file !== undefined),
        detections: args.detections,
        threshold: args.threshold,
        ...controls,
      }),
    'catalog.photos': (args) => workbench.photos(args),
    'annotations.add': (args) => workbench.addAnnotation(args),
    'annotations.update': (args) => workbench.updateAnnotation(args),
    'annotations.delete': (args) => workbench.deleteAnnotation(args),
    'annotations.undo': (args) => workbench.undoAnnotationEdit(args),
    'catalog.evaluate': (args) => workbench.evaluate(args),
    'catalog.embed': (args, controls) => workbench.embed({ ...args, ...controls }),
    'pairs.candidates': (args) => workbench.findCandidates(args),
    'review.strip': (args) => workbench.strip(args),
    'decisions.noneOf': (args) => workbench.decideNoneOf(args),
    'decisions.decide': ({ a, b, verdict, ...options }) => workbench.decide(a, b, verdict, options),
    'decisions.undo': (args) => workbench.undo(args),
    'decisions.split': (args) => workbench.split(args),
    'reviewers.list': () => workbench.reviewers(),
    'disputes.list': (args) => workbench.disputes(args),
    'reviewers.set': (args) => workbench.setReviewerAccuracy(args),
    'decisions.list': () => workbench.decisions(),
    'individuals.list': () => workbench.listIndividuals(),
    'individuals.get': (args) => workbench.individual(args.name),
    'annotations.why': (args) => workbench.why(args.annotationId),
    'individuals.rename': ({ from, to, reviewer }) => workbench.renameIndividual(from, to, { reviewer }),
    'catalog.export': (args) => workbench.exportCatalog(args),
    'pairs.explain': (args) => workbench.explainPair(args),
    'pairs.pixels': (args) => workbench.pairPixels(args),
    'pairs.prefetch': (args) => workbench.prefetchPair(args),
    'models.list': () => workbench.models.list(),
    'models.layers': (args) => workbench.modelLayers(args.model),
    'models.add': (args) => workbench.models.add(args.path),
    'models.select': (args) => workbench.models.select(args.id),
    'settings.get': () => workbench.settings(),
    'settings.set': (args) => workbench.updateSettings(args),
  };
}

/** The one check that a name is a workbench API method, wherever a call enters from outside. */
export function assertApiMethod(method: unknown): asserts method is ApiMethod {
  if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(api, method))
    throw new PairxError('unknown-method', `unknown method ${String(method)}`);
}

/**
 * Calls one API method with arguments from outside (IPC message, HTTP body): they are validated with the
 * method's schema first, so a handler only ever sees well-formed arguments.
 */
export async function callApi<M extends ApiMethod>(handlers: Handlers, method: M, rawArgs: unknown, controls: JobControls = {}): Promise<ApiResult<M>> {
  assertApiMethod(method);
  const args = api[method].args.parse(rawArgs ?? {}) as ApiParsedArgs<M>;
  return (handlers[method] as Handler<M>)(args, controls);
}
