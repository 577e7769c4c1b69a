-- The ticket housekeeping reads a page of rows per pass (open tickets to poll, owed requester notices to post); these
-- columns make every row get its turn rather than the oldest ids forever. `status_checked_at`: when a pass last read
-- the ticket's status from the API (read or not: an error counts), open tickets are polled least recently checked
-- first. `user_notice_tried_at`: when a pass last tried to post the requester's owed notice and could not (its thread
-- is gone or archived), such rows go behind the others. Both stay empty until a pass sets them: existing rows come
-- first, as before, in id order.
ALTER TABLE escalation ADD COLUMN status_checked_at TEXT;
ALTER TABLE escalation ADD COLUMN user_notice_tried_at TEXT;
