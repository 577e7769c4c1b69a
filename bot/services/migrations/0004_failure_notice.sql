-- Staff's line about an escalation the support API rejected for good becomes a notice like the others: claimed once,
-- and only by a process that has the row's guild (several processes may share one database, each with its own
-- shards' guilds). A rejection met by a process without the guild stays owed, and the housekeeping of the process
-- that has the guild posts it. Requeuing the escalation clears it, so a second rejection is told again.
ALTER TABLE escalation ADD COLUMN failure_notified_at TEXT;

-- Rows rejected before this column existed had their line posted (or lost) at the time: none is owed now, so an
-- upgrade does not post old rejections again. Their creation time stands in for the unknown moment.
UPDATE escalation SET failure_notified_at = created_at WHERE status = 'failed';
