-- The error catalog inside ClickHouse, so SQL and Grafana can show descriptions and categories.
-- errpulse migrate re-syncs the table from lib/catalog/catalog.json on every run. In cluster mode it is
-- replicated to every node (no shard in its path): it is a small dimension table, not sharded data.
CREATE TABLE IF NOT EXISTS {{db}}.error_catalog {{on_cluster}}
(
    code          String,
    category      LowCardinality(String),
    category_slug LowCardinality(String),
    family        LowCardinality(String),
    fault         Enum8('client' = 1, 'server' = 2, 'unknown' = 3),
    severity      LowCardinality(String),
    description   String
)
ENGINE = {{engine:global:ReplacingMergeTree:error_catalog}}
ORDER BY code;

CREATE DICTIONARY IF NOT EXISTS {{db}}.error_catalog_dict {{on_cluster}}
(
    code          String,
    category      String DEFAULT 'Unknown',
    category_slug String DEFAULT 'unknown',
    family        String DEFAULT '',
    fault         String DEFAULT 'unknown',
    severity      String DEFAULT 'medium',
    description   String DEFAULT 'Not in the error catalog.'
)
PRIMARY KEY code
SOURCE(CLICKHOUSE(TABLE 'error_catalog' DB '{{db}}'{{dictionary_credentials}}))
LIFETIME(MIN 60 MAX 300)
LAYOUT(COMPLEX_KEY_HASHED());
