-- Schema 1 -> 2: the audit log is aged out only (issue 10). The retention job deletes
-- entries older than audit.retention_days after writing them to exports/; nothing else can.

-- Only aged out: an entry younger than the retention (setting audit.retention_days, 365 days
-- when unset) cannot be deleted, so the retention job is the one way rows leave the log.
CREATE TRIGGER audit_log_kept BEFORE DELETE ON audit_log
WHEN julianday(old.at) > julianday('now') - coalesce(
    nullif((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'audit.retention_days'), 0), 365)
BEGIN
    SELECT RAISE(ABORT, 'Audit log entries younger than the retention period (audit.retention_days) cannot be deleted');
END;
