-- work_ids is looked up by work_id only in joins, which DuckDB runs as hash joins without the
-- index; maintaining and checkpointing it cost ~0.1 s per 100k works stored (bench_ingest).
DROP INDEX IF EXISTS work_ids_work;
