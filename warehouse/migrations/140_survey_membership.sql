-- Decided membership, written once: per work, the section it is in and whether it is in the
-- survey as it stands. Everything that asks "is this work in the survey, and where?" reads
-- this view: the digest's selection, `relevant_works`, the exports, `seascout survey`,
-- `zotero push` and the review page.
--
-- The rule, in order:
--   1. an entry of the lab's own survey document (`seed_entries`) is in the survey, in the
--      section the document puts it in; no decision overrides the document (a drop or move
--      of such an entry is refused by `seascout decide`; one stored earlier has no effect);
--   2. else the lab's decision wins over triage: keep/move puts the work in the survey in the
--      section decided, drop puts it in no section;
--   3. else triage's section: a candidate the digest lists, not in the survey until the lab
--      keeps it.
-- A section that no longer exists in `sections` places the work nowhere.
CREATE VIEW survey_membership AS
WITH placed AS (
    SELECT w.work_id,
           CASE WHEN se.work_id IS NOT NULL THEN 'survey'
                WHEN d.action IS NOT NULL THEN 'decision'
                WHEN c.label IS NOT NULL THEN 'triage' END AS basis,
           CASE WHEN se.work_id IS NOT NULL THEN se.section
                WHEN d.action IS NOT NULL THEN d.section
                ELSE (SELECT min(s.number) FROM sections s
                      WHERE s.label = c.label AND s.number <> 0) END AS section,
           d.action AS decision, se.entry AS survey_entry, se.source_file AS survey_file
    FROM works w
    LEFT JOIN seed_entries se USING (work_id)
    LEFT JOIN decisions d USING (work_id)
    LEFT JOIN classifications c USING (work_id)
)
SELECT p.work_id, s.number AS section, s.number IS NOT NULL AND p.basis IN ('survey', 'decision')
       AS in_survey, p.basis, p.decision, p.survey_entry, p.survey_file
FROM placed p
LEFT JOIN sections s ON s.number = p.section AND s.number <> 0;

-- relevant_works: the works in a section (the survey's and triage's candidates), from the
-- membership view; edited texts replace triage's.
CREATE OR REPLACE VIEW relevant_works AS
SELECT w.work_id, s.number AS section, s.title AS section_title, c.label, c.confidence,
       c.method AS classified_by, d.action AS decision, w.kind, w.title,
       coalesce(d.title_zh, m.title_zh) AS title_zh, coalesce(d.summary, m.summary) AS summary,
       w.published, w.journal, w.authors,
       (SELECT min(i.id) FILTER (WHERE i.id LIKE 'doi:%') FROM work_ids i WHERE i.work_id = w.work_id)[5:] AS doi,
       (SELECT min(i.id) FILTER (WHERE i.id LIKE 'arxiv:%') FROM work_ids i WHERE i.work_id = w.work_id)[7:] AS arxiv_id,
       (SELECT min(l.url) FROM links l WHERE l.work_id = w.work_id AND l.kind = 'code') AS code_url,
       w.first_seen, w.last_changed, sm.in_survey
FROM survey_membership sm
JOIN works w USING (work_id)
JOIN sections s ON s.number = sm.section
LEFT JOIN classifications c USING (work_id)
LEFT JOIN decisions d USING (work_id)
LEFT JOIN summaries m USING (work_id);
