-- Every open ticket and owed requester notice gets its turn in the housekeeping's pages, not the oldest ids forever
-- (../migrations/0006_housekeeping_rotation.sql in PostgreSQL types).
ALTER TABLE escalation ADD COLUMN status_checked_at TIMESTAMPTZ;
ALTER TABLE escalation ADD COLUMN user_notice_tried_at TIMESTAMPTZ;
