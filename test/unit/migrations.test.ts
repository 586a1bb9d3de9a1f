import { describe, expect, it } from 'vitest';
import { loadMigrations, renderMigration, type SchemaOptions } from '../../lib/clickhouse/migrate.js';

const single: SchemaOptions = { database: 'errpulse', rawRetentionDays: 30, rollupRetentionDays: 400 };
const cluster: SchemaOptions = { ...single, cluster: 'prod' };

const withoutComments = (sql: string) => sql.replace(/--[^\n]*/g, '').trim();
const render = (o: SchemaOptions) => loadMigrations().flatMap((m) => renderMigration(m.template, o)).map(withoutComments);

describe('migration rendering', () => {
  it('numbers migrations uniquely and in order', () => {
    const versions = loadMigrations().map((m) => m.version);
    expect(versions.length).toBeGreaterThanOrEqual(3);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
  });

  it('leaves no placeholder unrendered in either mode', () => {
    for (const statement of [...render(single), ...render(cluster)]) expect(statement).not.toMatch(/\{\{|\}\}/);
  });

  it('renders single-node DDL without cluster constructs', () => {
    const sql = render(single).join(';\n');
    expect(sql).not.toMatch(/ON CLUSTER|Replicated|Distributed|_local/);
    expect(sql).toContain('non_replicated_deduplication_window = 10000');
    expect(sql).toMatch(/TTL toDateTime\(event_time\) \+ INTERVAL 30 DAY/);
    expect(sql).toMatch(/TTL minute \+ INTERVAL 400 DAY/);
    expect(sql).toMatch(/TTL hour \+ INTERVAL 400 DAY/);
  });

  it('renders cluster DDL: ON CLUSTER everywhere, replicated local tables, distributed tables on top', () => {
    const statements = render(cluster);
    // Data statements (a backfill INSERT … SELECT) are not DDL and run once, through the Distributed tables.
    for (const s of statements.filter((s) => /^(CREATE|ALTER|DROP)\b/.test(s))) expect(s).toContain('ON CLUSTER prod');
    const sql = statements.join(';\n');
    expect(sql).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/errpulse/error_events_local', '{replica}')",
    );
    expect(sql).toContain(
      "ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/errpulse/error_counts_1m_local', '{replica}', events)",
    );
    // The catalog is a dimension table: one replication group across every shard, so each node has it whole.
    expect(sql).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/global/errpulse/error_catalog', '{replica}')");
    expect(sql).toContain('replicated_deduplication_window = 10000');
    for (const table of ['error_events', 'error_counts_1m', 'error_counts_1h']) {
      expect(sql).toContain(
        `CREATE TABLE IF NOT EXISTS errpulse.${table} ON CLUSTER prod AS errpulse.${table}_local\nENGINE = Distributed(prod, errpulse, ${table}_local, cityHash64(app_id))`,
      );
    }
    // Views read and write the local tables; a view on a Distributed table would see no inserts.
    expect(sql).toMatch(/TO errpulse\.error_counts_1m_local[\s\S]*FROM errpulse\.error_events_local/);
    expect(sql).toMatch(/TO errpulse\.error_counts_1h_local[\s\S]*FROM errpulse\.error_events_local/);
    // Indexes and projections belong to the tables holding the data, not to the Distributed ones.
    expect(sql).toContain('ALTER TABLE errpulse.error_events_local ON CLUSTER prod\n    ADD INDEX IF NOT EXISTS kafka_offset_minmax kafka_offset TYPE minmax GRANULARITY 1');
    expect(sql).toContain('ALTER TABLE errpulse.error_events_local ON CLUSTER prod MATERIALIZE INDEX kafka_offset_minmax');
  });

  it('writes dictionary credentials as escaped literals when a user is configured', () => {
    const sql = render({ ...single, user: 'ingest', password: "p'w" }).join(';\n');
    expect(sql).toContain("SOURCE(CLICKHOUSE(TABLE 'error_catalog' DB 'errpulse' USER 'ingest' PASSWORD 'p\\'w'))");
  });

  it('refuses an unknown placeholder', () => {
    expect(() => renderMigration('SELECT {{nope}}', single)).toThrow(/unknown migration placeholder \{\{nope\}\}/);
  });
});
