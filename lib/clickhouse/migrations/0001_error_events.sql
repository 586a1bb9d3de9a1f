-- Raw API error events: one row per event, every field of the event contract plus catalog tags and
-- where the event came from in Kafka. Sorted for the main access path (app, region, code, time);
-- the insert-deduplication window is what makes the ingest worker's replays exact.
CREATE TABLE IF NOT EXISTS {{db}}.{{local:error_events}} {{on_cluster}}
(
    event_id        String,
    event_time      DateTime64(3, 'UTC'),
    app_id          LowCardinality(String),
    region          LowCardinality(String),
    code            LowCardinality(String),
    category        LowCardinality(String),
    family          LowCardinality(String),
    fault           Enum8('client' = 1, 'server' = 2, 'unknown' = 3),
    known           Bool,
    schema_version  UInt16 DEFAULT 1,
    http_status     Nullable(UInt16),
    method          LowCardinality(String),
    route           String,
    api_version     LowCardinality(String),
    request_id      String,
    uid             String,
    sdk             LowCardinality(String),
    message         String CODEC(ZSTD(3)),
    latency_ms      Nullable(Float64),
    kafka_topic     LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset    UInt64,
    ingested_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = {{engine:MergeTree:error_events}}
PARTITION BY toDate(event_time)
ORDER BY (app_id, region, code, event_time)
TTL toDateTime(event_time) + INTERVAL {{raw_retention_days}} DAY
SETTINGS {{dedup_window}}, ttl_only_drop_parts = 1;

-- @cluster-only
CREATE TABLE IF NOT EXISTS {{db}}.error_events {{on_cluster}} AS {{db}}.error_events_local
ENGINE = Distributed({{cluster}}, {{db}}, error_events_local, cityHash64(app_id));
