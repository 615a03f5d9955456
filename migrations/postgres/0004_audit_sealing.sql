-- Audit sealing, PostgreSQL flavour. Keep in step with migrations/sqlite/0004_audit_sealing.sql.

-- Submissions stored whose `submission.create` entry is not in the audit log yet. SQLite's
-- writer appends the entry in the submission's own transaction and never adds a row here. On
-- PostgreSQL the submission and its row here commit in one statement, and every host's sealer
-- appends the entries in batches and deletes the rows, so the hot path holds no lock across a
-- commit. Responses stored before the audit log existed are pending too.
CREATE TABLE audit_pending (
    submission_seq BIGINT PRIMARY KEY
);

INSERT INTO audit_pending (submission_seq)
SELECT s.seq FROM submissions s
WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'submission.create' AND a.target = s.id);
