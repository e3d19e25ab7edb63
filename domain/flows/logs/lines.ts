// Splits text arriving in chunks into numbered lines (LF or CRLF), so a log of any size streams through a parser.
// A line longer than the limit is not buffered: it is reported once as a bad line and skipped to its end.

export type LineHandler = (text: string, lineNumber: number) => void;

export class LineSplitter {
  private pending = '';
  private lineNumber = 0;
  private overlong = false;

  constructor(
    private readonly onLine: LineHandler,
    private readonly onOverlong: (lineNumber: number) => void,
    private readonly maxLineLength: number,
  ) {}

  get lines(): number {
    return this.lineNumber;
  }

  write(chunk: string): void {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', from);
      if (nl === -1) break;
      this.emit(this.pending.length ? this.pending + chunk.slice(from, nl) : chunk.slice(from, nl));
      this.pending = '';
      from = nl + 1;
    }
    if (from < chunk.length) {
      if (this.overlong) return;
      this.pending += from === 0 ? chunk : chunk.slice(from);
      if (this.pending.length > this.maxLineLength) {
        this.overlong = true;
        this.pending = '';
      }
    }
  }

  /** The last line, when the input does not end with a newline. */
  end(): void {
    if (this.pending.length || this.overlong) this.emit(this.pending);
    this.pending = '';
  }

  private emit(text: string): void {
    this.lineNumber++;
    if (this.overlong || text.length > this.maxLineLength) {
      this.overlong = false;
      this.onOverlong(this.lineNumber);
      return;
    }
    this.onLine(text.endsWith('\r') ? text.slice(0, -1) : text, this.lineNumber);
  }
}
