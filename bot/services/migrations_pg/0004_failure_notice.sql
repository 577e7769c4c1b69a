-- Staff's line about an escalation the support API rejected for good becomes a notice like the others: claimed once,
-- and only by a process that has the row's guild (../migrations/0004_failure_notice.sql in PostgreSQL types).
ALTER TABLE escalation ADD COLUMN failure_notified_at TIMESTAMPTZ;

-- Rows rejected before this column existed had their line posted (or lost) at the time: none is owed now, so an
-- upgrade does not post old rejections again. Their creation time stands in for the unknown moment.
UPDATE escalation SET failure_notified_at = created_at WHERE status = 'failed';
