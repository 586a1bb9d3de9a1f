// A string written into SQL text as a quoted literal. Only for values that cannot be query parameters:
// DDL (dictionary credentials) and alert queries Grafana runs without parameters. Values from a request
// never come here; they go in as {name:Type} parameters.

/** `value` as a single-quoted ClickHouse string literal (backslash first, so the quote escape survives). */
export function sqlStringLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
