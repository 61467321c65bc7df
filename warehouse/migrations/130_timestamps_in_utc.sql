-- Before this release the warehouse stored naive timestamps in the machine's local time
-- (Python's datetime.now() and DuckDB's now()), and the digest read them in its own timezone:
-- on a machine whose zone differed from the digest's, weeks came out shifted or empty. From
-- now on every stored timestamp is UTC. `machine_zone` is the zone DuckDB finds on this
-- machine (set by warehouse/db.py before migrating): the zone the old values were taken in.
-- (schema_migrations.applied_at is left as written: this run's earlier migrations are already
-- recorded in UTC, and nothing reads it.)
-- timezone(zone, ts) reads ts as wall time in zone; timezone('UTC', ...) gives it back in UTC.

UPDATE classifications SET
    classified_at = timezone('UTC', timezone(getvariable('machine_zone'), classified_at));
UPDATE cursors SET
    updated_at = timezone('UTC', timezone(getvariable('machine_zone'), updated_at));
UPDATE decisions SET
    decided_at = timezone('UTC', timezone(getvariable('machine_zone'), decided_at));
UPDATE delivered_items SET
    delivered_at = timezone('UTC', timezone(getvariable('machine_zone'), delivered_at));
UPDATE deliveries SET
    delivered_at = timezone('UTC', timezone(getvariable('machine_zone'), delivered_at));
UPDATE digests SET
    rendered_at = timezone('UTC', timezone(getvariable('machine_zone'), rendered_at));
UPDATE figures SET
    fetched_at = timezone('UTC', timezone(getvariable('machine_zone'), fetched_at));
UPDATE llm_cache SET
    created_at = timezone('UTC', timezone(getvariable('machine_zone'), created_at));
UPDATE provenance SET
    fetched_at = timezone('UTC', timezone(getvariable('machine_zone'), fetched_at));
UPDATE run_errors SET
    logged_at = timezone('UTC', timezone(getvariable('machine_zone'), logged_at));
UPDATE runs SET
    started_at = timezone('UTC', timezone(getvariable('machine_zone'), started_at)),
    finished_at = timezone('UTC', timezone(getvariable('machine_zone'), finished_at));
UPDATE seed_entries SET
    seeded_at = timezone('UTC', timezone(getvariable('machine_zone'), seeded_at));
UPDATE spot_checks SET
    drawn_at = timezone('UTC', timezone(getvariable('machine_zone'), drawn_at)),
    period_lo = timezone('UTC', timezone(getvariable('machine_zone'), period_lo)),
    period_hi = timezone('UTC', timezone(getvariable('machine_zone'), period_hi));
UPDATE summaries SET
    created_at = timezone('UTC', timezone(getvariable('machine_zone'), created_at));
UPDATE watch_list SET
    added_at = timezone('UTC', timezone(getvariable('machine_zone'), added_at));
UPDATE works SET
    first_seen = timezone('UTC', timezone(getvariable('machine_zone'), first_seen)),
    last_changed = timezone('UTC', timezone(getvariable('machine_zone'), last_changed));
