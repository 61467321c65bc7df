-- How good each digest is, as the lab's decisions tell: precision of its entries and, from a
-- random sample of what triage rejected in the period (抽查), an estimate of what it missed.

-- One row per digest that drew a 抽查 sample: how many works triage rejected in the period
-- when it was drawn, and how many it asked for. The sample is frozen once drawn after the
-- period ended, so the lab's decisions on it keep counting.
CREATE TABLE spot_checks (
    digest_id   VARCHAR PRIMARY KEY,
    rejected    INTEGER NOT NULL,     -- works first seen in the period that triage called irrelevant
    sample_size INTEGER NOT NULL,     -- the size asked for ([digest] spot_check_size)
    closed      BOOLEAN NOT NULL,     -- drawn after the period ended (then never redrawn)
    drawn_at    TIMESTAMP NOT NULL
);

-- The works a digest's 抽查 sample holds, in the order the digest lists them.
CREATE TABLE spot_check_items (
    digest_id VARCHAR NOT NULL,
    work_id   VARCHAR NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (digest_id, work_id)
);

-- The entries a digest put before its readers: what the channels received (`delivered_items`)
-- once it went out, else what its latest render holds (`digest_items`). A re-render after the
-- lab dropped an entry leaves it out of the page but not out of what was delivered.
CREATE VIEW digest_reported AS
SELECT DISTINCT digest_id, work_id FROM delivered_items
UNION
SELECT digest_id, work_id FROM digest_items i
WHERE NOT EXISTS (SELECT 1 FROM delivered_items x WHERE x.digest_id = i.digest_id);

-- Per digest, live from the lab's current decisions (never stale):
-- precision = kept ÷ decided entries (keep and move count as kept: the work belongs);
-- missed_* = rejected × keeps ÷ decided among the 抽查 sample, with the 95 % Wilson score
-- interval on keeps ÷ decided scaled by `rejected` (NULL until a sampled work is decided).
CREATE VIEW digest_quality AS
WITH entries AS (
    SELECT r.digest_id, count(*) AS entries, count(d.work_id) AS decided,
           count(*) FILTER (WHERE d.action IN ('keep', 'move')) AS kept
    FROM digest_reported r LEFT JOIN decisions d USING (work_id)
    GROUP BY r.digest_id
), sample AS (
    SELECT s.digest_id, s.rejected, count(i.work_id) AS sampled, count(d.work_id) AS sample_decided,
           count(*) FILTER (WHERE d.action IN ('keep', 'move')) AS sample_kept
    FROM spot_checks s
    LEFT JOIN spot_check_items i USING (digest_id)
    LEFT JOIN decisions d ON d.work_id = i.work_id
    GROUP BY s.digest_id, s.rejected
), counts AS (
    SELECT g.digest_id, g.period_start,
           coalesce(e.entries, 0) AS entries, coalesce(e.decided, 0) AS decided,
           coalesce(e.kept, 0) AS kept,
           s.rejected, coalesce(s.sampled, 0) AS sampled,
           coalesce(s.sample_decided, 0) AS sample_decided, coalesce(s.sample_kept, 0) AS sample_kept
    FROM digests g LEFT JOIN entries e USING (digest_id) LEFT JOIN sample s USING (digest_id)
), wilson AS (
    SELECT *,
           CASE WHEN sample_decided > 0 THEN sample_kept / sample_decided END AS p,
           CASE WHEN sample_decided > 0 THEN 1.959963984540054 ^ 2 / sample_decided END AS zn
    FROM counts
)
SELECT digest_id, period_start, entries, decided, kept,
       CASE WHEN decided > 0 THEN kept / decided END AS precision,
       rejected, sampled, sample_decided, sample_kept,
       rejected * p AS missed,
       rejected * greatest(0.0, (p + zn / 2 - sqrt(zn * (p * (1 - p) + zn / 4))) / (1 + zn)) AS missed_low,
       rejected * least(1.0, (p + zn / 2 + sqrt(zn * (p * (1 - p) + zn / 4))) / (1 + zn)) AS missed_high
FROM wilson;
