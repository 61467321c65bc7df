-- Where each work stands against the survey's entries (issue 25): one row per
-- (work, entry, kind), recomputed for a work each time a digest or the survey lists it
-- (delete + insert per work), with the evidence that says so.
CREATE TABLE work_relations (
    work_id     VARCHAR NOT NULL,     -- the new work
    target_id   VARCHAR NOT NULL,     -- the survey entry's work
    kind        VARCHAR NOT NULL,     -- new_version_of, builds_on, compares_with, uses_dataset, cites
    evidence    VARCHAR NOT NULL,     -- the sentence that says it, or the citation record
    matched     VARCHAR NOT NULL DEFAULT '', -- the name, title or key found
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (work_id, target_id, kind)
);

-- survey_relations: the relations to entries in the survey as it stands (the one membership
-- view): an entry the lab dropped, or a work no longer in the survey, has none. The entry's
-- number is the survey document's, else the one its last digest gave it in its section.
CREATE VIEW survey_relations AS
SELECT r.work_id, r.target_id, r.kind, r.evidence, r.matched, r.computed_at,
       sm.section AS target_section,
       coalesce(se.entry, (SELECT max_by(i.entry, i.digest_id) FROM digest_items i
                           WHERE i.work_id = r.target_id AND i.section = sm.section))
           AS target_entry
FROM work_relations r
JOIN survey_membership sm ON sm.work_id = r.target_id AND sm.in_survey
LEFT JOIN seed_entries se ON se.work_id = r.target_id AND se.section = sm.section;
