-- Per-minute counts by category, family, region and fault only: no app and no code, so a minute holds
-- a few hundred rows instead of one per (app, region, code). The query API reads it for the common
-- "all apps, by category" questions (24 h at 1 m grouped by category: tens of thousands of rows read
-- instead of millions); anything filtered or grouped by app or code still reads error_counts_1m.
-- Same deduplication window as the other rollups, so a replayed insert is not counted twice here either.
CREATE TABLE IF NOT EXISTS {{db}}.{{local:error_counts_1m_by_category}} {{on_cluster}}
(
    minute     DateTime('UTC'),
    category   LowCardinality(String),
    family     LowCardinality(String),
    region     LowCardinality(String),
    fault      Enum8('client' = 1, 'server' = 2, 'unknown' = 3),
    events     UInt64
)
ENGINE = {{engine:SummingMergeTree(events):error_counts_1m_by_category}}
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, category, family, region, fault)
TTL minute + INTERVAL {{rollup_retention_days}} DAY
SETTINGS {{dedup_window}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local:error_counts_1m_by_category_mv}} {{on_cluster}}
TO {{db}}.{{local:error_counts_1m_by_category}}
AS SELECT
    toStartOfMinute(event_time) AS minute,
    category, family, region, fault,
    count() AS events
FROM {{db}}.{{local:error_events}}
GROUP BY minute, category, family, region, fault;

-- @cluster-only
CREATE TABLE IF NOT EXISTS {{db}}.error_counts_1m_by_category {{on_cluster}} AS {{db}}.error_counts_1m_by_category_local
ENGINE = Distributed({{cluster}}, {{db}}, error_counts_1m_by_category_local, rand());

-- History from before this migration, summed out of the per-minute rollup (through the Distributed
-- tables in cluster mode). Rows inserted while this statement runs reach the new table through the view
-- and may be read here as well: run the migration before the ingest workers, as `errpulse start` does.
INSERT INTO {{db}}.error_counts_1m_by_category (minute, category, family, region, fault, events)
SELECT minute, category, family, region, fault, sum(events)
FROM {{db}}.error_counts_1m
GROUP BY minute, category, family, region, fault;
