-- The warehouse's first schema. Every table is documented in docs/schema.md.

CREATE TABLE works (
    work_id        VARCHAR PRIMARY KEY,   -- the first key the work was stored under (doi:/arxiv:/url:)
    kind           VARCHAR NOT NULL,      -- paper, preprint, news, dataset, other
    title          VARCHAR NOT NULL,
    title_key      VARCHAR NOT NULL,      -- lower-case alphanumeric tokens, for title matching
    abstract       VARCHAR USING COMPRESSION zstd, -- long text: zstd checkpoints 2x faster and smaller
    authors        VARCHAR[],             -- names in order
    affiliations   JSON,                  -- list (per author) of lists of affiliations
    authors_incomplete BOOLEAN NOT NULL DEFAULT FALSE, -- the source said "et al."
    published      DATE,
    published_precision VARCHAR NOT NULL DEFAULT 'day', -- year | month | day
    updated        DATE,
    journal        VARCHAR,
    volume         VARCHAR,
    issue          VARCHAR,
    pages          VARCHAR,
    article_number VARCHAR,
    publisher      VARCHAR,
    categories     VARCHAR[],
    arxiv_version  INTEGER,
    journal_ref    VARCHAR,
    language       VARCHAR NOT NULL,
    source_rank    INTEGER NOT NULL,      -- priority of the source the bibliographic fields came from
    content_hash   VARCHAR NOT NULL,      -- hash of the stored fields; unchanged hash → no update
    first_seen     TIMESTAMP NOT NULL,    -- when seascout first stored it (never changes)
    last_changed   TIMESTAMP NOT NULL,    -- when a field last changed
    change_note    VARCHAR                -- why it last changed: 'new version', 'published', ...
);

CREATE TABLE work_ids (
    id      VARCHAR PRIMARY KEY,          -- doi:…, arxiv:…, url:…
    work_id VARCHAR NOT NULL
);
CREATE INDEX work_ids_work ON work_ids(work_id);

CREATE TABLE provenance (
    work_id    VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,          -- arxiv_api, arxiv_rss, crossref, datacite, openalex, news:<site>, seed, manual
    query      VARCHAR NOT NULL,
    record_id  VARCHAR NOT NULL DEFAULT '',
    fetched_at TIMESTAMP NOT NULL,        -- the first sighting; later identical sightings add nothing
    PRIMARY KEY (work_id, source, query, record_id)
);

CREATE TABLE links (
    work_id VARCHAR NOT NULL,
    url     VARCHAR NOT NULL,
    kind    VARCHAR NOT NULL,             -- code, project, model, dataset, paper, news, other
    label   VARCHAR,                      -- the survey's own label, e.g. 开源代码
    PRIMARY KEY (work_id, url)
);

CREATE TABLE sections (
    number      INTEGER PRIMARY KEY,      -- 1..5 for the real survey (0 is the export table)
    title       VARCHAR NOT NULL,         -- 海洋大模型
    label       VARCHAR,                  -- triage label mapped to it
    description VARCHAR
);

CREATE TABLE seed_entries (
    work_id     VARCHAR PRIMARY KEY,
    section     INTEGER NOT NULL,
    entry       VARCHAR NOT NULL,         -- "1.2"
    heading     VARCHAR NOT NULL,
    citation    VARCHAR,
    summary     VARCHAR,
    images      VARCHAR[],
    source_file VARCHAR NOT NULL,
    line        INTEGER NOT NULL,
    seeded_at   TIMESTAMP NOT NULL
);

CREATE TABLE watch_list (
    key      VARCHAR NOT NULL,            -- doi:… or arxiv:…
    reason   VARCHAR NOT NULL,            -- enrich | cited_by
    work_id  VARCHAR NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (key, reason)
);

CREATE TABLE classifications (
    work_id        VARCHAR PRIMARY KEY,
    label          VARCHAR NOT NULL,      -- ocean_models … irrelevant
    confidence     DOUBLE NOT NULL,
    method         VARCHAR NOT NULL,      -- seed, offline, llm
    model          VARCHAR,
    prompt_version VARCHAR,
    content_hash   VARCHAR,               -- hash of the text that was classified
    reason         VARCHAR,
    flagged        BOOLEAN NOT NULL DEFAULT FALSE,
    classified_at  TIMESTAMP NOT NULL
);

CREATE TABLE summaries (
    work_id    VARCHAR PRIMARY KEY,
    title_zh   VARCHAR,
    summary    VARCHAR NOT NULL,
    language   VARCHAR NOT NULL,          -- language of summary: zh or en
    method     VARCHAR NOT NULL,          -- seed, lead, llm
    model      VARCHAR,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE llm_cache (
    model          VARCHAR NOT NULL,
    prompt_version VARCHAR NOT NULL,
    content_hash   VARCHAR NOT NULL,
    reply          JSON NOT NULL,         -- the validated reply
    tokens         INTEGER,
    cost_usd       DOUBLE,
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (model, prompt_version, content_hash)
);

CREATE TABLE cursors (
    source     VARCHAR NOT NULL,          -- arxiv_api, crossref, openalex, news:<site> …
    query      VARCHAR NOT NULL,          -- which query / ISSN / seed / site
    value      VARCHAR NOT NULL,          -- ISO date or opaque token
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, query)
);

CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    flow        VARCHAR NOT NULL,         -- weekly, backfill, crawl, triage, digest, seed
    parameters  JSON,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL,         -- running, ok, partial, failed
    counts      JSON,                     -- per stage / per source counts
    llm_calls   INTEGER NOT NULL DEFAULT 0,
    llm_tokens  INTEGER NOT NULL DEFAULT 0,
    llm_cost_usd DOUBLE NOT NULL DEFAULT 0,
    timings     JSON                      -- seconds per stage
);

CREATE TABLE run_errors (
    run_id  VARCHAR NOT NULL,
    stage   VARCHAR NOT NULL,             -- crawl, triage, digest, deliver, seed
    source  VARCHAR NOT NULL,             -- source or channel name
    level   VARCHAR NOT NULL,             -- error | warning
    message VARCHAR NOT NULL,
    logged_at TIMESTAMP NOT NULL
);

CREATE TABLE digests (
    digest_id    VARCHAR PRIMARY KEY,     -- the period, e.g. 2026-W48
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,           -- exclusive
    rendered_at  TIMESTAMP NOT NULL,
    item_count   INTEGER NOT NULL,
    files        JSON                     -- format → path
);

CREATE TABLE digest_items (
    digest_id VARCHAR NOT NULL,
    work_id   VARCHAR NOT NULL,
    section   INTEGER NOT NULL,
    entry     VARCHAR NOT NULL,           -- "2.3" within this digest
    status    VARCHAR NOT NULL,           -- new | updated
    PRIMARY KEY (digest_id, work_id)
);

CREATE TABLE deliveries (
    digest_id    VARCHAR NOT NULL,
    channel      VARCHAR NOT NULL,        -- email, files, webhook:feishu …
    status       VARCHAR NOT NULL,        -- sent | failed
    attempts     INTEGER NOT NULL,
    last_error   VARCHAR,
    delivered_at TIMESTAMP,
    PRIMARY KEY (digest_id, channel)
);

CREATE TABLE delivered_items (
    work_id      VARCHAR NOT NULL,
    channel      VARCHAR NOT NULL,
    digest_id    VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,        -- new | updated: what was announced
    content_hash VARCHAR NOT NULL,        -- the version that was announced
    delivered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (work_id, channel, content_hash)
);

-- Relevant works with their section, summary and main links: the view most questions start from.
CREATE VIEW relevant_works AS
SELECT w.work_id, s.number AS section, s.title AS section_title, c.label, c.confidence,
       c.method AS classified_by, w.kind, w.title, m.title_zh, m.summary, w.published,
       w.journal, w.authors,
       (SELECT min(i.id) FILTER (WHERE i.id LIKE 'doi:%') FROM work_ids i WHERE i.work_id = w.work_id)[5:] AS doi,
       (SELECT min(i.id) FILTER (WHERE i.id LIKE 'arxiv:%') FROM work_ids i WHERE i.work_id = w.work_id)[7:] AS arxiv_id,
       (SELECT min(l.url) FROM links l WHERE l.work_id = w.work_id AND l.kind = 'code') AS code_url,
       w.first_seen, w.last_changed
FROM works w
JOIN classifications c USING (work_id)
JOIN sections s ON s.label = c.label
LEFT JOIN summaries m USING (work_id)
WHERE c.label <> 'irrelevant';

-- Relevant works first seen per ISO week and section.
CREATE VIEW weekly_section_counts AS
SELECT strftime(first_seen, '%G-W%V') AS week, section, section_title, count(*) AS works
FROM relevant_works
GROUP BY ALL
ORDER BY week, section;
