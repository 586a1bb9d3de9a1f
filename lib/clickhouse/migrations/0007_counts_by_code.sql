-- Per-minute counts by code, region and fault, without app, carrying each code's catalog category and
-- kind: the all-apps questions ("24 h by category", "by kind", "limits in eu"). It replaces
-- error_counts_1m_by_category for the API, which stored the ingest-time category and family with no code,
-- so regrouping codes would have meant re-ingesting.
--
-- category and kind are not key columns: they are a function of the code, so they add no rows, and they
-- can be rewritten. The view looks them up in the catalog dictionary as rows arrive; when the catalog
-- changes, `errpulse migrate` rewrites them for the changed codes across all history (an ALTER … UPDATE,
-- see syncCatalog in lib/clickhouse/migrate.ts). A code the catalog lacks keeps its ingest-time
-- category (the longest-prefix guess) and kind 'unknown'. Why columns and not a lookup in every query:
-- docs/decisions/0006. Same deduplication window as the other rollups.
CREATE TABLE IF NOT EXISTS {{db}}.{{local:error_counts_1m_by_code}} {{on_cluster}}
(
    minute     DateTime('UTC'),
    code       LowCardinality(String),
    region     LowCardinality(String),
    fault      Enum8('client' = 1, 'server' = 2, 'unknown' = 3),
    category   LowCardinality(String),
    kind       LowCardinality(String),
    events     UInt64
)
ENGINE = {{engine:SummingMergeTree(events):error_counts_1m_by_code}}
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, code, region, fault)
TTL minute + INTERVAL {{rollup_retention_days}} DAY
SETTINGS {{dedup_window}}, deduplicate_merge_projection_mode = 'rebuild';

-- The two most common questions, every app by category or by kind over time, need only minute, the axis
-- and the count: about 20 and 10 rows a minute. ClickHouse reads a projection by itself whenever a query
-- needs no other column; rewriting category or kind rebuilds them with the part.
ALTER TABLE {{db}}.{{local:error_counts_1m_by_code}} {{on_cluster}}
    ADD PROJECTION IF NOT EXISTS per_category (SELECT minute, category, sum(events) GROUP BY minute, category);

ALTER TABLE {{db}}.{{local:error_counts_1m_by_code}} {{on_cluster}}
    ADD PROJECTION IF NOT EXISTS per_kind (SELECT minute, kind, sum(events) GROUP BY minute, kind);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local:error_counts_1m_by_code_mv}} {{on_cluster}}
TO {{db}}.{{local:error_counts_1m_by_code}}
AS SELECT
    toStartOfMinute(event_time) AS minute,
    code, region, fault,
    dictGetOrDefault('{{db}}.error_catalog_dict', 'category', tuple(code), any(category)) AS category,
    dictGet('{{db}}.error_catalog_dict', 'kind', tuple(code)) AS kind,
    count() AS events
FROM {{db}}.{{local:error_events}}
GROUP BY minute, code, region, fault;

-- @cluster-only
CREATE TABLE IF NOT EXISTS {{db}}.error_counts_1m_by_code {{on_cluster}} AS {{db}}.error_counts_1m_by_code_local
ENGINE = Distributed({{cluster}}, {{db}}, error_counts_1m_by_code_local, rand());

-- History from before this migration, summed out of the per-minute rollup (through the Distributed
-- tables in cluster mode), so no re-ingest is needed. The catalog table gets its kinds only after the
-- migrations (migrate re-syncs it last), so these rows may carry an old category or kind 'unknown' for a
-- moment: the sync sees every code's kind change and rewrites them. Rows inserted while this statement
-- runs reach the new table through the view and may be read here as well: run the migration before the
-- ingest workers, as `errpulse start` and the services do.
INSERT INTO {{db}}.error_counts_1m_by_code (minute, code, region, fault, category, kind, events)
SELECT minute, code, region, fault, any(category), 'unknown', sum(events)
FROM {{db}}.error_counts_1m
GROUP BY minute, code, region, fault;
