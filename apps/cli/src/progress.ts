import type { RebuildProgress } from '@app/read-models';

const WIDTH = 30;

function seconds(value: number): string {
  if (!Number.isFinite(value)) return '?';
  return value >= 90 ? `${Math.floor(value / 60)}m${Math.round(value % 60)}s` : `${value.toFixed(1)}s`;
}

/**
 * Rebuild progress: a redrawn bar (events done, events/s, ETA) on a terminal, and plain
 * lines at most once a second otherwise, so logs stay readable.
 */
export class ProgressReporter {
  private lastLine = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly tty = Boolean(process.stdout.isTTY),
  ) {}

  update(progress: RebuildProgress): void {
    const total = Math.max(progress.total, progress.done, 1);
    const share = progress.done / total;
    const figures = `${progress.done.toLocaleString('en')}/${total.toLocaleString('en')} events  ${progress.eventsPerSecond.toLocaleString('en')} ev/s  ETA ${seconds(progress.etaSeconds)}`;
    if (this.tty) {
      const filled = Math.round(share * WIDTH);
      this.out.write(`\r${progress.name.padEnd(12)} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${figures}\x1b[K`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastLine >= 1000 || progress.done >= total) {
      this.lastLine = now;
      this.out.write(`${progress.name}: ${figures}\n`);
    }
  }

  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
