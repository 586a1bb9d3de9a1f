// Reading errors thrown by ClickHouse (or by whatever failed on the way to it).

/**
 * ClickHouse errors carry their name in `type` (from the server's `Code: N. DB::Exception: … (TYPE)`).
 * Read structurally: the embedded engine's errors come from another copy of the client library.
 */
export function clickHouseErrorType(err: unknown): string | undefined {
  const type = typeof err === 'object' && err !== null && 'type' in err ? (err as { type: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}

/** One line for logs, readiness and the dead-letter detail header, naming ClickHouse's error type when there is one. */
export function errorText(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  const type = clickHouseErrorType(err);
  const text = type !== undefined && !message.includes(type) ? `${type}: ${message}` : message;
  return text.slice(0, 500);
}
