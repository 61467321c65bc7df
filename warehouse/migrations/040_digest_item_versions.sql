-- Digests: remember which version of a work a digest reported, so a work is reported once per
-- content change, and what changed for an update ('published', 'new version v3').
ALTER TABLE digest_items ADD COLUMN content_hash VARCHAR;
ALTER TABLE digest_items ADD COLUMN change_note VARCHAR;
ALTER TABLE digests ADD COLUMN counts JSON;  -- section number → item count, for "since last week"
