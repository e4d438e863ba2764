-- Placeholder: number 3 is taken by the outbox change being made on another branch. The
-- migration list must run 1, 2, 3, ... without gaps; delete this file when that 0003 lands.
SELECT 1;
