-- Per-minute and hourly counts, kept by materialized views on every insert into the raw table.
-- Dashboards and the API read these instead of raw rows whenever the interval allows. The views'
-- targets carry their own deduplication window so that a replayed insert is not counted twice here
-- either (with deduplicate_blocks_in_dependent_materialized_views on the insert).
-- Sorting by hour first prunes by time range; app, region and code next serve the drill-downs.
CREATE TABLE IF NOT EXISTS {{db}}.{{local:error_counts_1m}} {{on_cluster}}
(
    minute     DateTime('UTC'),
    app_id     LowCardinality(String),
    region     LowCardinality(String),
    code       LowCardinality(String),
    category   LowCardinality(String),
    family     LowCardinality(String),
    fault      Enum8('client' = 1, 'server' = 2, 'unknown' = 3),
    known      Bool,
    events     UInt64
)
ENGINE = {{engine:SummingMergeTree(events):error_counts_1m}}
PARTITION BY toYYYYMM(minute)
ORDER BY (toStartOfHour(minute), app_id, region, code, category, family, fault, known, minute)
TTL minute + INTERVAL {{rollup_retention_days}} DAY
SETTINGS {{dedup_window}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local:error_counts_1m_mv}} {{on_cluster}}
TO {{db}}.{{local:error_counts_1m}}
AS SELECT
    toStartOfMinute(event_time) AS minute,
    app_id, region, code, category, family, fault, known,
    count() AS events
FROM {{db}}.{{local:error_events}}
GROUP BY minute, app_id, region, code, category, family, fault, known;

CREATE TABLE IF NOT EXISTS {{db}}.{{local:error_counts_1h}} {{on_cluster}}
(
    hour       DateTime('UTC'),
    app_id     LowCardinality(String),
    region     LowCardinality(String),
    code       LowCardinality(String),
    category   LowCardinality(String),
    family     LowCardinality(String),
    fault      Enum8('client' = 1, 'server' = 2, 'unknown' = 3),
    known      Bool,
    events     UInt64
)
ENGINE = {{engine:SummingMergeTree(events):error_counts_1h}}
PARTITION BY toYYYYMM(hour)
ORDER BY (toStartOfDay(hour), app_id, region, code, category, family, fault, known, hour)
TTL hour + INTERVAL {{rollup_retention_days}} DAY
SETTINGS {{dedup_window}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local:error_counts_1h_mv}} {{on_cluster}}
TO {{db}}.{{local:error_counts_1h}}
AS SELECT
    toStartOfHour(event_time) AS hour,
    app_id, region, code, category, family, fault, known,
    count() AS events
FROM {{db}}.{{local:error_events}}
GROUP BY hour, app_id, region, code, category, family, fault, known;

-- @cluster-only
CREATE TABLE IF NOT EXISTS {{db}}.error_counts_1m {{on_cluster}} AS {{db}}.error_counts_1m_local
ENGINE = Distributed({{cluster}}, {{db}}, error_counts_1m_local, cityHash64(app_id));

-- @cluster-only
CREATE TABLE IF NOT EXISTS {{db}}.error_counts_1h {{on_cluster}} AS {{db}}.error_counts_1h_local
ENGINE = Distributed({{cluster}}, {{db}}, error_counts_1h_local, cityHash64(app_id));
