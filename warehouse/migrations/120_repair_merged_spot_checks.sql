-- Before this release a merge of two records of one work left its 抽查 (spot-check) rows
-- pointing at the folded work: the entry vanished from the digest and the lab's decision on
-- it stopped counting. Re-point each such row to the work its id now belongs to.
DELETE FROM spot_check_items
WHERE work_id NOT IN (SELECT work_id FROM works)
  AND EXISTS (SELECT 1 FROM work_ids w JOIN spot_check_items t ON t.work_id = w.work_id
              WHERE w.id = spot_check_items.work_id AND t.digest_id = spot_check_items.digest_id);
UPDATE spot_check_items SET work_id = w.work_id
FROM work_ids w
WHERE spot_check_items.work_id = w.id AND spot_check_items.work_id NOT IN (SELECT work_id FROM works);
