// What the write protocol (write-batch.ts) commits to Kafka, and reading it back. The committed offset
// of a partition plus its commit metadata say what ClickHouse holds: with empty metadata, every message before the offset is done and
// nothing after it was written; with in-flight metadata {from,to}, the range [from, to] may or may not
// have reached ClickHouse, and whoever owns the partition next re-sends exactly that range with the
// same deduplication token. See docs/decisions/0004-exactly-once-ingest.md.
import type { Admin } from 'kafkajs';
import type { Batch, OffsetRange, ReplayTarget } from '../batch/batcher.js';

const METADATA_VERSION = 1;

interface InFlightMetadataV1 {
  v: 1;
  from: number;
  to: number;
  /** The batch's reference time (ms), so timestamp rules judge a replay as they did the first time. */
  at: number;
  /** Present when rows were being isolated one by one; a replay goes straight to isolation. */
  split?: true;
}

/** Commit metadata naming a range that is about to be (or is being) written. */
export function encodeInFlight(batch: Pick<Batch, 'from' | 'to' | 'referenceTimeMs' | 'split'>): string {
  const metadata: InFlightMetadataV1 = { v: METADATA_VERSION, from: batch.from, to: batch.to, at: batch.referenceTimeMs };
  if (batch.split) metadata.split = true;
  return JSON.stringify(metadata);
}

export type DecodedMetadata = { kind: 'none' } | { kind: 'in-flight'; range: ReplayTarget } | { kind: 'foreign'; metadata: string };

/**
 * Reads commit metadata back. Empty means nothing in flight; anything errpulse did not write (another
 * tool, a reset) is reported as foreign and treated as nothing in flight.
 */
export function decodeInFlight(metadata: string | null | undefined): DecodedMetadata {
  if (metadata === null || metadata === undefined || metadata === '') return { kind: 'none' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return { kind: 'foreign', metadata };
  }
  const m = parsed as Partial<InFlightMetadataV1> | null;
  const isOffset = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (m === null || typeof m !== 'object' || m.v !== METADATA_VERSION || !isOffset(m.from) || !isOffset(m.to) || m.to < m.from || !isOffset(m.at)) {
    return { kind: 'foreign', metadata };
  }
  return { kind: 'in-flight', range: { from: m.from, to: m.to, referenceTimeMs: m.at, split: m.split === true } };
}

/** The insert_deduplication_token of a range: the same range always gets the same token. */
export function deduplicationToken(topic: string, partition: number, range: OffsetRange): string {
  return `${topic}:${partition}:${range.from}-${range.to}`;
}

export interface CommittedPosition {
  /** Next offset to read; undefined when the group never committed for this partition. */
  offset: number | undefined;
  inFlight: ReplayTarget | undefined;
  /** Metadata errpulse did not write, kept for the log. */
  foreign?: string;
}

/**
 * The group's committed offsets and metadata for `topic`. Only the admin API returns the metadata;
 * the consumer discards it.
 */
export async function readCommitted(admin: Admin, groupId: string, topic: string): Promise<Map<number, CommittedPosition>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const positions = new Map<number, CommittedPosition>();
  for (const p of entry?.partitions ?? []) {
    const offset = Number(p.offset);
    const committed = Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined;
    const decoded = decodeInFlight(p.metadata);
    // In-flight metadata is only meaningful next to the offset it was committed with.
    const inFlight = decoded.kind === 'in-flight' && decoded.range.from === committed ? decoded.range : undefined;
    const position: CommittedPosition = { offset: committed, inFlight };
    if (decoded.kind === 'foreign') position.foreign = decoded.metadata;
    else if (decoded.kind === 'in-flight' && inFlight === undefined) position.foreign = p.metadata ?? '';
    positions.set(p.partition, position);
  }
  return positions;
}

/** An offset commit with its metadata. */
export interface OffsetCommit {
  offset: number;
  metadata: string;
}

/** What to commit before writing a batch's rows: its first offset, naming the range as in flight. */
export function inFlightCommit(batch: Batch): OffsetCommit {
  return { offset: batch.from, metadata: encodeInFlight(batch) };
}

/** What to commit once a batch is in ClickHouse (and its rejects in the dead-letter topic). */
export function doneCommit(batch: Batch): OffsetCommit {
  return { offset: batch.to + 1, metadata: '' };
}
