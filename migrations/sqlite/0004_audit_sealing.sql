-- Audit sealing, SQLite flavour. Keep in step with migrations/postgres/0004_audit_sealing.sql.

-- Whether a submission's `submission.create` entry is in the audit log. SQLite's writer appends
-- it in the submission's own transaction (1). On PostgreSQL the submission commits alone (0) and
-- every host's sealer appends the entries in batches, so no lock is held across a commit on the
-- hot path. Rows stored before the audit log existed start at 0 and are sealed at start-up.
ALTER TABLE submissions ADD COLUMN audited INTEGER NOT NULL DEFAULT 0;

CREATE INDEX submissions_unaudited ON submissions (seq) WHERE audited = 0;
