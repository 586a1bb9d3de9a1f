-- The catalog's second reviewed axis, kind (what went wrong: not_found, limit, server_failure, …), beside
-- the category, so SQL can group and filter stored rows by it at query time:
-- dictGet('error_catalog_dict', 'kind', tuple(code)). Rows keep only their code; a re-reviewed kind
-- applies to all history at the next `errpulse migrate`, which re-syncs the table and reloads the
-- dictionary. A code the catalog lacks gets kind 'unknown'.
ALTER TABLE {{db}}.error_catalog {{on_cluster}}
    ADD COLUMN IF NOT EXISTS kind LowCardinality(String) DEFAULT 'unknown' AFTER category_slug;

-- A dictionary's attributes cannot be altered; replacing it keeps its name, so queries that use it
-- are unaffected apart from the new attribute.
CREATE OR REPLACE DICTIONARY {{db}}.error_catalog_dict {{on_cluster}}
(
    code          String,
    category      String DEFAULT 'Unknown',
    category_slug String DEFAULT 'unknown',
    kind          String DEFAULT 'unknown',
    family        String DEFAULT '',
    fault         String DEFAULT 'unknown',
    severity      String DEFAULT 'medium',
    description   String DEFAULT 'Not in the error catalog.'
)
PRIMARY KEY code
SOURCE(CLICKHOUSE(TABLE 'error_catalog' DB '{{db}}'{{dictionary_credentials}}))
LIFETIME(MIN 60 MAX 300)
LAYOUT(COMPLEX_KEY_HASHED());
