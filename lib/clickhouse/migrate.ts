// Versioned schema migrations: numbered SQL files rendered for single-node or cluster mode, applied in
// order once each, recorded in schema_migrations. Safe to run at every service start.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { CATALOG, type CatalogEntry } from '../catalog/index.js';
import { PROJECT_ROOT } from '../paths.js';
import type { ClickHouseClient } from './client.js';
import { sqlStringLiteral } from './literal.js';

export const MIGRATIONS_DIR = join(PROJECT_ROOT, 'lib/clickhouse/migrations');

export interface Migration {
  version: number;
  name: string;
  /** sha256 of the template, so an edited, already-applied migration is caught instead of ignored. */
  checksum: string;
  template: string;
}

export interface SchemaOptions {
  database: string;
  cluster?: string | undefined;
  rawRetentionDays: number;
  rollupRetentionDays: number;
  user?: string | undefined;
  password?: string | undefined;
}

export function schemaOptions(cfg: Config['clickhouse']): SchemaOptions {
  return {
    database: cfg.database,
    cluster: cfg.cluster,
    rawRetentionDays: cfg.rawRetentionDays,
    rollupRetentionDays: cfg.rollupRetentionDays,
    user: cfg.user,
    password: cfg.password,
  };
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const template = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        checksum: createHash('sha256').update(template).digest('hex'),
        template,
      };
    });
}

/** Blocks under this many recent inserts are remembered for deduplication of replays. */
export const DEDUPLICATION_WINDOW = 10_000;

function engineFor(spec: string, table: string, o: SchemaOptions): string {
  // `global:` tables (catalog, bookkeeping) keep a full copy on every node instead of being sharded.
  const global = spec.startsWith('global:');
  const engine = global ? spec.slice('global:'.length) : spec;
  if (!o.cluster) return engine;
  const m = /^(\w+?)(?:\((.*)\))?$/.exec(engine);
  if (!m) throw new Error(`bad engine template ${spec}`);
  const [, name, args] = m;
  const path = global ? `/clickhouse/tables/global/${o.database}/${table}` : `/clickhouse/tables/{shard}/${o.database}/${table}_local`;
  const replicatedArgs = [`'${path}'`, `'{replica}'`, ...(args ? [args] : [])].join(', ');
  return `Replicated${name}(${replicatedArgs})`;
}

/** ` ON CLUSTER <name>` in cluster mode, nothing on a single node. */
function onClusterClause(o: SchemaOptions): string {
  return o.cluster ? ` ON CLUSTER ${o.cluster}` : '';
}

/** The table that holds the data: on a cluster, the shard-local one behind the Distributed table. */
function localTable(table: string, o: SchemaOptions): string {
  return o.cluster ? `${table}_local` : table;
}

/** Renders one migration template into the statements to run, in order. */
export function renderMigration(template: string, o: SchemaOptions): string[] {
  const windowSetting = o.cluster ? 'replicated_deduplication_window' : 'non_replicated_deduplication_window';
  const vars: Record<string, string> = {
    db: o.database,
    cluster: o.cluster ?? '',
    on_cluster: onClusterClause(o).trimStart(),
    raw_retention_days: String(o.rawRetentionDays),
    rollup_retention_days: String(o.rollupRetentionDays),
    dedup_window: `${windowSetting} = ${DEDUPLICATION_WINDOW}`,
    dictionary_credentials:
      (o.user ? ` USER ${sqlStringLiteral(o.user)}` : '') + (o.password ? ` PASSWORD ${sqlStringLiteral(o.password)}` : ''),
  };
  const rendered = template.replace(/\{\{([a-z_]+)(?::([^}]+))?\}\}/g, (whole, key: string, arg?: string) => {
    if (key === 'local') return localTable(String(arg), o);
    if (key === 'engine') {
      const at = String(arg).lastIndexOf(':');
      return engineFor(String(arg).slice(0, at), String(arg).slice(at + 1), o);
    }
    const value = vars[key];
    if (value === undefined) throw new Error(`unknown migration placeholder ${whole}`);
    return value;
  });
  return rendered
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.replace(/--[^\n]*\n?/g, '').trim().length > 0)
    .filter((s) => o.cluster || !/^--\s*@cluster-only/m.test(s));
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
  catalogEntries: number;
  ttlUpdated: string[];
}

const MIGRATIONS_TABLE = 'schema_migrations';

export interface MigrateOptions {
  /**
   * Stop after this migration version and leave the catalog and TTLs alone: the schema a data folder of
   * that version has. For upgrade tests; services always migrate all the way.
   */
  through?: number;
}

/**
 * Applies pending migrations, re-syncs the catalog table and brings retention TTLs in line with the
 * configuration. Idempotent: a second run changes nothing.
 */
export async function migrate(client: ClickHouseClient, o: SchemaOptions, options: MigrateOptions = {}): Promise<MigrateResult> {
  const onCluster = onClusterClause(o);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${o.database}${onCluster}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${o.database}.${MIGRATIONS_TABLE}${onCluster} (
      version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ${engineFor('global:ReplacingMergeTree', MIGRATIONS_TABLE, o)} ORDER BY version`,
  });
  const done = await client
    .query({
      query: `SELECT version, name, checksum FROM ${o.database}.${MIGRATIONS_TABLE} FINAL ORDER BY version`,
      format: 'JSONEachRow',
    })
    .then((r) => r.json<{ version: number; name: string; checksum: string }>());
  const doneByVersion = new Map(done.map((m) => [Number(m.version), m]));

  const result: MigrateResult = { applied: [], alreadyApplied: [], catalogEntries: 0, ttlUpdated: [] };
  for (const m of loadMigrations().filter((x) => options.through === undefined || x.version <= options.through)) {
    const previous = doneByVersion.get(m.version);
    if (previous) {
      if (previous.checksum !== m.checksum) {
        throw new Error(
          `migration ${m.name} was applied with different contents (checksum ${previous.checksum.slice(0, 12)}, ` +
            `file now ${m.checksum.slice(0, 12)}); add a new migration instead of editing an applied one`,
        );
      }
      result.alreadyApplied.push(m.name);
      continue;
    }
    for (const statement of renderMigration(m.template, o)) await client.command({ query: statement });
    await client.insert({
      table: `${o.database}.${MIGRATIONS_TABLE}`,
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
    result.applied.push(m.name);
  }

  if (options.through !== undefined) return result;
  result.catalogEntries = await syncCatalog(client, o);
  result.ttlUpdated = await reconcileRetention(client, o);
  return result;
}

/** The catalog axes that rollups store per code, as one comparable value. */
const axesOf = (category: string, kind: string) => `${category}\u0000${kind}`;

/**
 * Re-syncs error_catalog and its dictionary from catalog.json, then rewrites the stored category and kind
 * of every code whose axes changed (or that joined or left the catalog) in error_counts_1m_by_code, across
 * all its history: re-reviewing a kind needs a migrate, never a re-ingest.
 */
async function syncCatalog(client: ClickHouseClient, o: SchemaOptions): Promise<number> {
  const before = await client
    .query({ query: `SELECT code, category, kind FROM ${o.database}.error_catalog FINAL`, format: 'JSONEachRow' })
    .then((r) => r.json<{ code: string; category: string; kind: string }>());
  await client.command({ query: `TRUNCATE TABLE IF EXISTS ${o.database}.error_catalog${onClusterClause(o)}` });
  await client.insert({
    table: `${o.database}.error_catalog`,
    values: CATALOG.map((e) => ({
      code: e.code,
      category: e.category,
      category_slug: e.categorySlug,
      kind: e.kind,
      family: e.family,
      fault: e.fault,
      severity: e.severity,
      description: e.description,
    })),
    format: 'JSONEachRow',
  });
  await client.command({ query: `SYSTEM RELOAD DICTIONARY ${o.database}.error_catalog_dict` });

  const previous = new Map(before.map((e) => [e.code, axesOf(e.category, e.kind)]));
  const changed = CATALOG.filter((e) => previous.get(e.code) !== axesOf(e.category, e.kind));
  const current = new Set(CATALOG.map((e) => e.code));
  const removed = before.map((e) => e.code).filter((code) => !current.has(code));
  if (changed.length > 0 || removed.length > 0) await rewriteCatalogAxes(client, o, changed, removed);
  return CATALOG.length;
}

/**
 * The rollup keyed by code stores category and kind so its projections can answer "by category" and
 * "by kind" without a lookup per row; this keeps them equal to the catalog. A code that left the catalog
 * keeps its last category and becomes kind 'unknown'. Literals, not parameters: mutations take none, and
 * every value is a catalog code, category or kind. Waits for the rewrite, so the answers change together.
 */
async function rewriteCatalogAxes(client: ClickHouseClient, o: SchemaOptions, changed: readonly CatalogEntry[], removed: readonly string[]): Promise<void> {
  const list = (values: readonly string[]) => `[${values.map(sqlStringLiteral).join(', ')}]`;
  const codes = list(changed.map((e) => e.code));
  await client.command({
    query: `ALTER TABLE ${o.database}.${localTable('error_counts_1m_by_code', o)}${onClusterClause(o)}
      UPDATE category = transform(code, ${codes}, ${list(changed.map((e) => e.category))}, category),
             kind = transform(code, ${codes}, ${list(changed.map((e) => e.kind))}, 'unknown')
      WHERE code IN ${list([...changed.map((e) => e.code), ...removed])}`,
    clickhouse_settings: { mutations_sync: '2' },
  });
}

/** Retention is configuration, not schema: a changed *_RETENTION_DAYS is applied with MODIFY TTL. */
async function reconcileRetention(client: ClickHouseClient, o: SchemaOptions): Promise<string[]> {
  const wanted: Array<[string, string]> = [
    [localTable('error_events', o), `toDateTime(event_time) + toIntervalDay(${o.rawRetentionDays})`],
    [localTable('error_counts_1m', o), `minute + toIntervalDay(${o.rollupRetentionDays})`],
    [localTable('error_counts_1h', o), `hour + toIntervalDay(${o.rollupRetentionDays})`],
    [localTable('error_counts_1m_by_category', o), `minute + toIntervalDay(${o.rollupRetentionDays})`],
    [localTable('error_counts_1m_by_code', o), `minute + toIntervalDay(${o.rollupRetentionDays})`],
  ];
  const rows = await client
    .query({
      query: `SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}`,
      query_params: { db: o.database, names: wanted.map(([t]) => t) },
      format: 'JSONEachRow',
    })
    .then((r) => r.json<{ name: string; engine_full: string }>());
  const updated: string[] = [];
  for (const [table, ttl] of wanted) {
    const current = rows.find((r) => r.name === table)?.engine_full ?? '';
    if (current.replace(/\s+/g, ' ').includes(`TTL ${ttl}`)) continue;
    // Only new parts and merges apply the new TTL; rewriting every existing part on a large table at
    // service start would be an outage of its own.
    await client.command({
      query: `ALTER TABLE ${o.database}.${table}${onClusterClause(o)} MODIFY TTL ${ttl}`,
      clickhouse_settings: { materialize_ttl_after_modify: 0 },
    });
    updated.push(table);
  }
  return updated;
}
