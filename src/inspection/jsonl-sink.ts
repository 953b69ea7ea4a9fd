import { createWriteStream, type WriteStream } from 'node:fs';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type { InspectionLogger } from './types.ts';

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 200;

export class JsonlSink {
  private stream: WriteStream | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    file: string,
    private readonly logger: InspectionLogger,
  ) {
    this.stream = createWriteStream(file, { flags: 'a' });
    this.stream.on('error', (err) => {
      this.logger.warn(`inspection: cannot write ${file} (${err.message}); the inspection log is off`);
      this.stream = undefined;
      this.pending = [];
    });
  }

  send(event: StatelyInspectionEvent) {
    if (!this.stream) return;
    const line = `${JSON.stringify(event)}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      // A debugging aid must not keep a finished process alive.
      this.timer.unref();
    }
  }

  private flush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.stream || this.pending.length === 0) return;
    this.stream.write(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): Promise<void> {
    this.flush();
    const stream = this.stream;
    this.stream = undefined;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once('error', () => resolve());
      stream.end(() => resolve());
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// WebSocket client for a Stately inspector.
