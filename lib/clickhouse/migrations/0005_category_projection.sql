-- The most common question of all, every app by category over time (the overview dashboard, /v1/rates
-- grouped by category), needs only minute, category and the count. An aggregate projection keeps
-- exactly that beside error_counts_1m_by_category, about 20 rows a minute instead of a few hundred;
-- ClickHouse reads it by itself whenever a query needs no other column (measured: half the query time
-- for 24 h at 1 m, see BENCHMARKS.md). On a SummingMergeTree a projection must be rebuilt when parts
-- merge, since merging sums rows; 'rebuild' does that.
ALTER TABLE {{db}}.{{local:error_counts_1m_by_category}} {{on_cluster}} MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE {{db}}.{{local:error_counts_1m_by_category}} {{on_cluster}}
    ADD PROJECTION IF NOT EXISTS per_category (SELECT minute, category, sum(events) GROUP BY minute, category);

-- Parts written before this migration get the projection in the background; until then queries read
-- the table itself, with the same answers.
ALTER TABLE {{db}}.{{local:error_counts_1m_by_category}} {{on_cluster}} MATERIALIZE PROJECTION per_category;
