-- How good each digest is, as the lab's decisions tell: precision of its entries and what it
-- missed: every work of the period triage rejected and the lab kept anyway (from the review
-- page's least-certain list, the 抽查 sample or `seascout decide`) is a known miss, and a
-- random sample of the rest (抽查) estimates the others.

-- One row per digest that drew a 抽查 sample: how many works triage rejected in the period
-- when it was drawn, and how many it asked for. The sample is frozen once drawn after the
-- period ended, so the lab's decisions on it keep counting.
CREATE TABLE spot_checks (
    digest_id   VARCHAR PRIMARY KEY,
    rejected    INTEGER NOT NULL,     -- works first seen in the period that triage called irrelevant
    sample_size INTEGER NOT NULL,     -- the size asked for ([digest] spot_check_size)
    closed      BOOLEAN NOT NULL,     -- drawn after the period ended (then never redrawn)
    drawn_at    TIMESTAMP NOT NULL,
    period_lo   TIMESTAMP,            -- the period's [lo, hi), local time
    period_hi   TIMESTAMP
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

-- Per digest, live from the lab's current decisions (never stale): precision = kept ÷
-- decided entries (keep and move count as kept: the work belongs);
-- missed = found + (rejected − rejected_decided) × sample_kept ÷ sample_decided, with the
-- 95 % Wilson score interval of sample_kept ÷ sample_decided scaled by the undecided rest
-- (conservative: the sample is drawn from all rejections, the decided ones included, which
-- are the likelier to belong). Before any sampled work is decided: found, and no interval.
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
), found AS (
    SELECT s.digest_id, count(d.work_id) AS rejected_decided,
           count(*) FILTER (WHERE d.action IN ('keep', 'move')) AS found
    FROM spot_checks s
    JOIN works w ON w.first_seen >= s.period_lo AND w.first_seen < s.period_hi
    JOIN classifications c ON c.work_id = w.work_id AND c.label = 'irrelevant' AND c.method <> 'seed'
    JOIN decisions d ON d.work_id = w.work_id
    GROUP BY s.digest_id
), counts AS (
    SELECT g.digest_id, g.period_start,
           coalesce(e.entries, 0) AS entries, coalesce(e.decided, 0) AS decided,
           coalesce(e.kept, 0) AS kept,
           s.rejected, coalesce(s.sampled, 0) AS sampled,
           coalesce(s.sample_decided, 0) AS sample_decided, coalesce(s.sample_kept, 0) AS sample_kept,
           CASE WHEN s.rejected IS NOT NULL THEN coalesce(f.found, 0) END AS found,
           coalesce(f.rejected_decided, 0) AS rejected_decided,
           greatest(0, s.rejected - coalesce(f.rejected_decided, 0)) AS undecided
    FROM digests g LEFT JOIN entries e USING (digest_id) LEFT JOIN sample s USING (digest_id)
    LEFT JOIN found f USING (digest_id)
), wilson AS (
    SELECT *,
           CASE WHEN sample_decided > 0 THEN sample_kept / sample_decided END AS p,
           CASE WHEN sample_decided > 0 THEN 1.959963984540054 ^ 2 / sample_decided END AS zn
    FROM counts
)
SELECT digest_id, period_start, entries, decided, kept,
       CASE WHEN decided > 0 THEN kept / decided END AS precision,
       rejected, sampled, sample_decided, sample_kept, found, rejected_decided,
       CASE WHEN p IS NULL THEN CASE WHEN found > 0 THEN found END
            ELSE found + undecided * p END AS missed,
       CASE WHEN p IS NULL THEN CASE WHEN found > 0 THEN found END
            ELSE found + undecided * greatest(0.0, (p + zn / 2 - sqrt(zn * (p * (1 - p) + zn / 4))) / (1 + zn))
       END AS missed_low,
       CASE WHEN p IS NOT NULL
            THEN found + undecided * least(1.0, (p + zn / 2 + sqrt(zn * (p * (1 - p) + zn / 4))) / (1 + zn))
       END AS missed_high
FROM wilson;
