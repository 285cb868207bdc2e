import { z } from 'zod';
import { ExplainArgs, SyncSummary } from './api.ts';

/**
 * The application shell's methods: what a front (the Electron window, the local server) adds around the
 * workbench of one catalog — which catalog is open, a native folder dialog, saving a picture, cancelling
 * a job. Declared like the workbench API (src/shared/api.ts) so that the preload and the server validate
 * them with the same schemas; a front answers the ones it cannot offer with a clear error.
 */
const none = z.object({});

export const FrontMode = z.enum(['electron', 'browser']);

export const AppInfo = z.object({
  mode: FrontMode,
  /** The open catalog's folder; null before one is opened (Electron's start view). */
  catalog: z.string().nullable(),
  /** Whether this front can open another catalog (the browser front serves exactly one). */
  canOpenCatalogs: z.boolean(),
  version: z.string(),
});

/** A pair and its explanation settings, as `pairs.explain` takes them. */
export const PairSettingsArgs = ExplainArgs;

export const appApi = {
  'app.info': { args: none, result: AppInfo },
  /** Opens (or, with create, makes) the catalog in `folder`; the previous one is closed. */
  'app.openCatalog': {
    args: z.object({ folder: z.string().min(1), create: z.boolean().default(false) }),
    result: z.object({ catalog: z.string() }),
  },
  /** A native folder picker; null when the user cancels or the front has none. */
  'app.chooseFolder': { args: none, result: z.object({ folder: z.string().nullable() }) },
  /** Saves the explanation picture (docs/PAIRX.md step 7) where the user chooses; null when cancelled. */
  'app.exportPng': { args: PairSettingsArgs, result: z.object({ savedTo: z.string().nullable() }) },
  /**
   * Syncs the open catalog with its team store (`team.sync`), the password handled as the front can: the
   * desktop app keeps it, when asked, encrypted by the operating system (Electron's safeStorage) outside
   * the catalog and uses it next time; the browser mode uses the one given, or the server's PGPASSWORD.
   */
  'app.sync': {
    args: z.object({
      server: z.string().min(1).optional(),
      reviewer: z.string().min(1).optional(),
      password: z.string().optional(),
      remember: z.boolean().default(false),
    }),
    result: z.object({ summary: SyncSummary, passwordRemembered: z.boolean() }),
  },
  /** Forgets the password the desktop app keeps for a team store (the browser mode keeps none). */
  'app.forgetPassword': { args: z.object({ server: z.string().min(1) }), result: z.object({ forgotten: z.boolean() }) },
  /** Cancels the job started by the call with this id (its promise resolves with `cancelled: true`). */
  'app.cancel': {
    args: z.object({ callId: z.string().min(1) }),
    result: z.object({ cancelled: z.boolean() }),
  },
} as const satisfies Record<string, { args: z.ZodType; result: z.ZodType }>;

export type AppApi = typeof appApi;
export type AppMethod = keyof AppApi;
export type AppInfo = z.infer<typeof AppInfo>;
export type FrontMode = z.infer<typeof FrontMode>;
export type PairSettingsArgs = z.input<typeof PairSettingsArgs>;
