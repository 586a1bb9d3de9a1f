-- The ingest worker rebuilds its eventId windows on every assignment from the rows of a recent offset
-- range (services/ingest/assignment.ts). error_events is sorted by app, region, code and time, not by
-- offset, so without an index that query reads the offset columns of every part within retention. A
-- minmax index per granule lets it skip the granules whose offsets all lie outside the range: recent
-- offsets sit in the recent end of each (app, region, code) run, so most granules of an older table
-- are skipped. A projection ordered by offset would skip more but doubles the event_id column and
-- costs inserts more; measured both on 10M rows (BENCHMARKS.md, "eventId window rebuild").
ALTER TABLE {{db}}.{{local:error_events}} {{on_cluster}}
    ADD INDEX IF NOT EXISTS kafka_offset_minmax kafka_offset TYPE minmax GRANULARITY 1;

-- Parts written before this migration get the index in the background (a mutation); until then the
-- query reads them whole, with the same answers.
ALTER TABLE {{db}}.{{local:error_events}} {{on_cluster}} MATERIALIZE INDEX kafka_offset_minmax;
