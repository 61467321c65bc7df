-- The lab's decisions on works (keep, drop, move to a section, edited Chinese title/summary).
-- One row per work: the latest decision. Triage never writes here; re-crawls leave it alone.
CREATE TABLE decisions (
    work_id    VARCHAR PRIMARY KEY,
    action     VARCHAR NOT NULL,          -- keep | drop | move
    section    INTEGER,                   -- the section it belongs in (keep, move); NULL for drop
    label      VARCHAR,                   -- that section's triage label; 'irrelevant' for drop
    title_zh   VARCHAR,                   -- the lab's Chinese title, when edited
    summary    VARCHAR,                   -- the lab's Chinese summary, when edited
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL
);

-- relevant_works follows the lab: a dropped work leaves it, a kept or moved one shows the
-- section decided (even when triage said irrelevant), edited texts replace triage's.
CREATE OR REPLACE VIEW relevant_works AS
SELECT w.work_id, s.number AS section, s.title AS section_title, c.label, c.confidence,
       c.method AS classified_by, d.action AS decision, w.kind, w.title,
       coalesce(d.title_zh, m.title_zh) AS title_zh, coalesce(d.summary, m.summary) AS summary,
       w.published, w.journal, w.authors,
       (SELECT min(i.id) FILTER (WHERE i.id LIKE 'doi:%') FROM work_ids i WHERE i.work_id = w.work_id)[5:] AS doi,
       (SELECT min(i.id) FILTER (WHERE i.id LIKE 'arxiv:%') FROM work_ids i WHERE i.work_id = w.work_id)[7:] AS arxiv_id,
       (SELECT min(l.url) FROM links l WHERE l.work_id = w.work_id AND l.kind = 'code') AS code_url,
       w.first_seen, w.last_changed
FROM works w
JOIN classifications c USING (work_id)
LEFT JOIN decisions d USING (work_id)
JOIN sections s ON (d.section IS NOT NULL AND s.number = d.section)
                OR (d.section IS NULL AND s.label = c.label)
LEFT JOIN summaries m USING (work_id)
WHERE (d.action IS NULL AND c.label <> 'irrelevant') OR d.action IN ('keep', 'move');
