-- One figure per work for the digest: the first figure of its arXiv HTML version, else the
-- lead image of its project or news page. A work is looked up once: a stored figure, or a
-- final answer that there is none, is never fetched again (network trouble stores nothing).
CREATE TABLE figures (
    work_id    VARCHAR PRIMARY KEY,
    status     VARCHAR NOT NULL,          -- stored | none | failed
    file       VARCHAR,                   -- file name under $SEASCOUT_HOME/figures (stored)
    image_url  VARCHAR,                   -- where the image was fetched
    page_url   VARCHAR,                   -- the page it was found on
    width      INTEGER,
    height     INTEGER,
    bytes      INTEGER,
    note       VARCHAR,                   -- why there is none (none, failed)
    fetched_at TIMESTAMP NOT NULL
);
