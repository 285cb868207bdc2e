import cliProgress from 'cli-progress';
import type { Progress } from '../../shared/api.ts';

export interface ProgressView {
  update(progress: Progress): void;
  stop(): void;
}

/** Seconds between plain progress lines when stderr is not a terminal (a log file, CI). */
const PLAIN_INTERVAL_MS = 5000;

/** A progress bar on stderr when it is a terminal, otherwise a plain line per phase and every few seconds. */
export function progressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: '{phase} [{bar}] {value}/{total} {item}', hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    let phase = '';
    return {
      update(progress) {
        const payload = { phase: progress.phase.padEnd(11), item: progress.item ?? '' };
        if (progress.phase !== phase) {
          if (phase !== '') bar.stop();
          phase = progress.phase;
          bar.start(progress.total ?? 0, progress.done, payload);
        } else {
          if (progress.total !== null) bar.setTotal(progress.total);
          bar.update(progress.done, payload);
        }
      },
      stop: () => {
        if (phase !== '') bar.stop();
      },
    };
  }
  let phase = '';
  let printedAt = 0;
  let last: Progress | null = null;
  let printed: Progress | null = null;
  const print = (progress: Progress) => {
    stream.write(`${progress.phase}: ${progress.done}${progress.total === null ? '' : `/${progress.total}`}\n`);
    printedAt = Date.now();
    printed = progress;
  };
  return {
    update(progress) {
      // A phase's last state before the next phase's first, so every phase ends on its final count.
      if (progress.phase !== phase && last && last !== printed) print(last);
      last = progress;
      if (progress.phase !== phase || Date.now() - printedAt >= PLAIN_INTERVAL_MS) {
        phase = progress.phase;
        print(progress);
      }
    },
    stop: () => {
      if (last && last !== printed) print(last);
    },
  };
}
