import type { PairMatchesPayload, PairPixelsPayload, ExplainSettings } from '../../shared/explanation.ts';
import { modelView, normalise, type Crop } from '../imaging/preprocess.ts';
import { renderExplanationPng, type RgbImage } from '../render/explanation-png.ts';
import type { Explanation } from './explanation.ts';
import { releaseForward, type MatchedPair, type PairExplainer } from './pair-explainer.ts';

/** Where an annotation's pixels are: the photo file and, optionally, its box and rotation. */
export interface AnnotationSource {
  path: string;
  crop?: Crop;
}

interface CacheEntry {
  /** The two annotations explained, so that a changed box can drop its entries. */
  pair: [number, number];
  matched: Promise<MatchedPair>;
  explained?: Promise<Explanation>;
  views: Promise<[RgbImage, RgbImage]>;
  /** Lets the computation start: at once for a request, when the service is idle for a prefetch. */
  start: () => void;
}

/**
 * Explanations of annotation pairs for the workbench: two phases (matches and heat maps first, pixel
 * maps after), cached by (model, layer, pair, settings) so that moving back to a pair, exporting its
 * picture or prefetching the next pair in the queue costs nothing twice.
 */
export class ExplanationService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly views = new Map<string, Promise<RgbImage>>();
  private readonly viewPngs = new Map<string, Promise<Buffer>>();
  /**
   * Matched pairs still holding their forward statistics (about 150 MB each for the default model),
   * oldest first. Holding many made every new forward pass several times slower (fresh memory each
   * time) and the process several GB large; past the newest few, pixel maps redo the forward pass.
   */
  private readonly holding: MatchedPair[] = [];
  /** Requests a reviewer is waiting for; prefetches only run while there are none. */
  private waiting = 0;
  /** Prefetches under way (both phases): the queue's background scoring waits for them too. */
  private prefetching = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly model: () => Promise<PairExplainer>,
    private readonly resolve: (annotationId: number) => AnnotationSource,
    private readonly capacity = 24,
    private readonly forwardsHeld = 2,
  ) {}

  private hold(matched: MatchedPair): void {
    this.holding.push(matched);
    while (this.holding.length > this.forwardsHeld) releaseForward(this.holding.shift()!);
  }

  private letGo(matched: MatchedPair): void {
    releaseForward(matched);
    const at = this.holding.indexOf(matched);
    if (at >= 0) this.holding.splice(at, 1);
  }

  /**
   * An annotation as the caches know it: its id with its photo and box, so that an import that moves
   * the box (or points it at another file) is not answered from what was computed before.
   */
  private sourceKey(annotationId: number, source = this.resolve(annotationId)): string {
    return `${annotationId}|${source.path}|${JSON.stringify(source.crop ?? null)}`;
  }

  /** A view's cache key; it starts with the annotation's id, for forget. */
  private viewKey(model: PairExplainer, annotationId: number, source = this.resolve(annotationId)): string {
    return `${annotationId}#${model.id}|${this.sourceKey(annotationId, source)}`;
  }

  /**
   * Drops an annotation's explanations and views (its box changed, or it was deleted). Their keys name
   * the box, so nothing stale would be served anyway; this frees what they hold at once.
   */
  forget(annotationId: number): void {
    for (const [key, entry] of [...this.cache]) if (entry.pair.includes(annotationId)) this.cache.delete(key);
    for (const map of [this.views, this.viewPngs])
      for (const key of [...map.keys()]) if (key.startsWith(`${annotationId}#`)) map.delete(key);
  }

  private view(model: PairExplainer, annotationId: number): Promise<RgbImage> {
    const source = this.resolve(annotationId);
    const key = this.viewKey(model, annotationId, source);
    let view = this.views.get(key);
    if (!view) {
      const spec = model.inputSpec;
      view = modelView(source.path, spec, source.crop).then((data) => ({
        data,
        width: spec.width,
        height: spec.height,
      }));
      view.catch(() => this.views.delete(key));
      this.views.set(key, view);
      if (this.views.size > this.capacity * 2) this.views.delete(this.views.keys().next().value!);
    }
    return view;
  }

  private idle(): Promise<void> {
    return this.waiting === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs a request the reviewer waits for; prefetches yield to it between their steps. */
  private async foreground<T>(run: () => Promise<T>): Promise<T> {
    this.waiting++;
    try {
      return await run();
    } finally {
      if (--this.waiting === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async entry(
    a: number,
    b: number,
    settings: ExplainSettings,
    start = true,
  ): Promise<{ model: PairExplainer; entry: CacheEntry }> {
    const model = await this.model();
    const layer = model.resolveLayer(settings.layer).key;
    const key = [
      model.id,
      layer,
      this.sourceKey(a),
      this.sourceKey(b),
      settings.kLines,
      settings.kColors,
    ].join('|');
    let entry = this.cache.get(key);
    if (entry) {
      this.cache.delete(key); // most recently used goes last
    } else {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      const views = opened.then(() => Promise.all([this.view(model, a), this.view(model, b)])) as Promise<
        [RgbImage, RgbImage]
      >;
      const spec = model.inputSpec;
      const matched = views.then(([va, vb]) =>
        model.matchPair(normalise(va.data, spec), normalise(vb.data, spec), {
          layer,
          kLines: settings.kLines,
        }),
      );
      entry = { pair: [a, b], matched, views, start: open };
      matched.then(
        (m) => this.hold(m),
        () => this.cache.delete(key),
      );
      if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, entry);
    if (start) entry.start();
    return { model, entry };
  }

  private explained(entry: CacheEntry, kColors: number): Promise<Explanation> {
    entry.explained ??= entry.matched.then(async (matched) => {
      const explanation = await (await this.model()).addPixelMaps(matched, kColors);
      this.letGo(matched); // the entry's pixel maps are computed: its statistics are of no more use
      return explanation;
    });
    return entry.explained;
  }

  matches(a: number, b: number, settings: ExplainSettings): Promise<PairMatchesPayload> {
    return this.foreground(() => this.matchesNow(a, b, settings));
  }

  private async matchesNow(a: number, b: number, settings: ExplainSettings): Promise<PairMatchesPayload> {
    const { model, entry } = await this.entry(a, b, settings);
    const m = await entry.matched;
    return {
      a,
      b,
      model: model.id,
      similarity: m.similarity,
      layer: m.layer,
      input: m.input,
      provider: m.provider,
      relevanceMaps: [Array.from(m.relevanceMaps[0]), Array.from(m.relevanceMaps[1])],
      matches: m.matches,
      kLines: m.kLines,
      plausibility: m.plausibility,
      conservation: m.conservation,
      timings: m.timings,
    };
  }

  pixels(a: number, b: number, settings: ExplainSettings): Promise<PairPixelsPayload> {
    return this.foreground(() => this.pixelsNow(a, b, settings));
  }

  private async pixelsNow(a: number, b: number, settings: ExplainSettings): Promise<PairPixelsPayload> {
    const { entry } = await this.entry(a, b, settings);
    const e = await this.explained(entry, settings.kColors);
    const plane = e.input.width * e.input.height;
    const encode = (maps: Float32Array) => {
      const bytes = new Uint8Array(e.kColors * plane);
      const maxima: number[] = [];
      for (let k = 0; k < e.kColors; k++) {
        const map = maps.subarray(k * plane, (k + 1) * plane);
        let max = 0;
        for (const v of map) if (v > max) max = v;
        maxima.push(max);
        for (let i = 0; i < plane; i++) bytes[k * plane + i] = max > 0 ? Math.round((255 * map[i]) / max) : 0;
      }
      return { base64: Buffer.from(bytes).toString('base64'), maxima };
    };
    const [m0, m1] = [encode(e.pixelMaps[0]), encode(e.pixelMaps[1])];
    return {
      a,
      b,
      kColors: e.kColors,
      width: e.input.width,
      height: e.input.height,
      maps: [m0.base64, m1.base64],
      maxima: [m0.maxima, m1.maxima],
      warnings: e.warnings,
      conservation: e.conservation,
      pixelMs: e.timings.pixelMs,
    };
  }

  /** The whole explanation (all arrays), computing what the cache does not hold. */
  explain(a: number, b: number, settings: ExplainSettings): Promise<Explanation> {
    return this.foreground(async () =>
      this.explained((await this.entry(a, b, settings)).entry, settings.kColors),
    );
  }

  /**
   * Computes both phases in the background (the next pair of a review queue), each only while no
   * request is waiting, so that a pair the reviewer opens never queues behind a guess. Answers with the
   * first phase once it is ready, so that a window can hold it and show the pair without asking again;
   * the pixel maps go on in the background.
   */
  async prefetch(a: number, b: number, settings: ExplainSettings): Promise<PairMatchesPayload> {
    this.prefetching++;
    let rest: Promise<void> = Promise.resolve();
    try {
      const { entry } = await this.entry(a, b, settings, false);
      await this.idle();
      entry.start();
      const payload = await this.matchesNow(a, b, settings);
      rest = (async () => {
        await Promise.all([this.viewPng(a), this.viewPng(b)]);
        await this.idle();
        await this.explained(entry, settings.kColors);
      })().catch(() => undefined);
      return payload;
    } finally {
      void rest.finally(() => this.prefetching--);
    }
  }

  /**
   * The first phase only (matches and plausibility) of a pair nobody has asked to see: the review
   * queue scores its upcoming questions with it. It runs after every request the reviewer waits for and
   * after the window's prefetches, one step at a time.
   */
  async score(a: number, b: number, settings: ExplainSettings): Promise<PairMatchesPayload> {
    const { entry } = await this.entry(a, b, settings, false);
    await this.idle();
    entry.start();
    return this.matchesNow(a, b, settings);
  }

  /** Whether nothing waits or is prefetched: when the queue's background scoring may take a step. */
  get quiet(): boolean {
    return this.waiting === 0 && this.prefetching === 0;
  }

  /** The picture in the reference layout. */
  png(a: number, b: number, settings: ExplainSettings): Promise<Buffer> {
    return this.foreground(async () => {
      const { entry } = await this.entry(a, b, settings);
      const [explanation, views] = await Promise.all([this.explained(entry, settings.kColors), entry.views]);
      return renderExplanationPng(explanation, views);
    });
  }

  /** The model-sized view of an annotation as PNG (what the explanation's coordinates refer to). */
  async viewPng(annotationId: number): Promise<Buffer> {
    const model = await this.model();
    const key = this.viewKey(model, annotationId);
    let png = this.viewPngs.get(key);
    if (!png) {
      png = this.view(model, annotationId).then(async (view) => {
        const { default: sharp } = await import('sharp');
        return sharp(view.data, { raw: { width: view.width, height: view.height, channels: 3 } })
          .png({ compressionLevel: 1 })
          .toBuffer();
      });
      png.catch(() => this.viewPngs.delete(key));
      this.viewPngs.set(key, png);
      if (this.viewPngs.size > this.capacity * 2) this.viewPngs.delete(this.viewPngs.keys().next().value!);
    }
    return png;
  }
}
