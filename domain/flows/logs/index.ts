// One entry point for every flow-log format: write text chunks as they are read, end() for the counts.
// Line formats stream (memory stays one line deep); NSG documents are JSON and are parsed whole at end().
import type { FlowSink } from '../types';
import { createJsonlParser } from './jsonl';
import { LineSplitter } from './lines';
import { parseNsgDocument } from './nsg';
import {
  DEFAULT_MAX_DOCUMENT_LENGTH,
  DEFAULT_MAX_LINE_LENGTH,
  StatsCollector,
  type FlowLogFormat,
  type FlowLogOptions,
  type FlowLogStats,
} from './stats';
import { createVpcParser } from './vpc';
import { createZeekParser } from './zeek';

export { FLOW_LOG_FORMATS, type BadLine, type FlowLogFormat, type FlowLogOptions, type FlowLogStats } from './stats';
export { SafeguardFlowSchema, type SafeguardFlow } from './jsonl';
export { parseIpKey, parseIpv4Key } from './address';

export interface FlowLogReader {
  write(chunk: string): void;
  /** Finishes the input and returns the counts; the reader takes no more text afterwards. */
  end(): FlowLogStats;
}

export function createFlowLogReader(format: FlowLogFormat, sink: FlowSink, options: FlowLogOptions = {}): FlowLogReader {
  const stats = new StatsCollector(format, options.maxBadLines);
  const exporter = options.exporter ?? format;
  if (format === 'nsg') return nsgReader(sink, stats, exporter, options.maxDocumentLength ?? DEFAULT_MAX_DOCUMENT_LENGTH);
  const parseLine =
    format === 'vpc' ? createVpcParser(sink, stats, exporter) : format === 'zeek' ? createZeekParser(sink, stats, exporter) : createJsonlParser(sink, stats, exporter);
  const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const splitter = new LineSplitter(parseLine, (n) => stats.bad(n, `line longer than ${maxLine} characters`), maxLine);
  let ended = false;
  return {
    write(chunk) {
      if (!ended) splitter.write(chunk);
    },
    end() {
      if (!ended) {
        ended = true;
        splitter.end();
        stats.stats.lines = splitter.lines;
      }
      return stats.finish();
    },
  };
}

function nsgReader(sink: FlowSink, stats: StatsCollector, exporter: string, maxLength: number): FlowLogReader {
  const chunks: string[] = [];
  let length = 0;
  let tooLong = false;
  let ended = false;
  return {
    write(chunk) {
      if (ended || tooLong) return;
      length += chunk.length;
      if (length > maxLength) {
        tooLong = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    },
    end() {
      if (!ended) {
        ended = true;
        if (tooLong) stats.bad(1, `the document is longer than ${maxLength} characters; NSG documents are read whole`);
        else parseNsgDocument(chunks.join(''), sink, stats, exporter);
        chunks.length = 0;
      }
      return stats.finish();
    },
  };
}

/** Reads a whole text at once: the same as one write() and end(). */
export function parseFlowLog(format: FlowLogFormat, text: string, sink: FlowSink, options?: FlowLogOptions): FlowLogStats {
  const reader = createFlowLogReader(format, sink, options);
  reader.write(text);
  return reader.end();
}
