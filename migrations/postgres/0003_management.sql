-- Study management, PostgreSQL flavour. Keep in step with migrations/sqlite/0003_management.sql.

-- People sign in with a password (argon2id PHC string; NULL = API tokens only). Admin is global;
-- every other role is a membership in one study.
CREATE TABLE people (
    id             BIGSERIAL PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    password_hash  TEXT,
    is_admin       BIGINT NOT NULL DEFAULT 0,
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    last_failed_at TEXT,
    created_at     TEXT NOT NULL,
    deactivated_at TEXT
);

-- A study's teams: territories (a Mexican state, a group of comunas).
CREATE TABLE teams (
    study_id   TEXT NOT NULL REFERENCES studies (id),
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (study_id, id)
);

-- A person's role in one study, optionally limited to one team.
CREATE TABLE memberships (
    person_id  BIGINT NOT NULL REFERENCES people (id),
    study_id   TEXT NOT NULL REFERENCES studies (id),
    role       TEXT NOT NULL,
    team_id    TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (person_id, study_id),
    FOREIGN KEY (study_id, team_id) REFERENCES teams (study_id, id)
);

-- Tokens belong to a person. `role = 'person'` marks a sign-in session: it carries the
-- person's own memberships, read on every request. API tokens keep their own role, study and team.
ALTER TABLE tokens ADD COLUMN person_id BIGINT REFERENCES people (id);
ALTER TABLE tokens ADD COLUMN team_id TEXT;
ALTER TABLE tokens ADD COLUMN expires_at TEXT;

-- The sample: what enumerators are sent to visit.
CREATE TABLE cases (
    study_id    TEXT NOT NULL REFERENCES studies (id),
    case_key    TEXT NOT NULL,
    form_id     TEXT NOT NULL,
    team_id     TEXT,
    assignee_id BIGINT REFERENCES people (id),
    attributes  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (study_id, case_key),
    FOREIGN KEY (study_id, form_id) REFERENCES forms (study_id, id),
    FOREIGN KEY (study_id, team_id) REFERENCES teams (study_id, id)
);

-- A submission row holds its latest revision and its review state.
ALTER TABLE submissions ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE submissions ADD COLUMN review_state TEXT NOT NULL DEFAULT 'received';
ALTER TABLE submissions ADD COLUMN review_comment TEXT;
ALTER TABLE submissions ADD COLUMN reviewed_by TEXT;
ALTER TABLE submissions ADD COLUMN reviewed_at TEXT;
ALTER TABLE submissions ADD COLUMN updated_at TEXT;
ALTER TABLE submissions ADD COLUMN case_key TEXT;
ALTER TABLE submissions ADD COLUMN team_id TEXT;
ALTER TABLE submissions ADD COLUMN person_id BIGINT;
ALTER TABLE submissions ADD COLUMN started_at TEXT;
ALTER TABLE submissions ADD COLUMN completed_at TEXT;

CREATE INDEX submissions_by_case ON submissions (study_id, case_key);
CREATE INDEX submissions_by_person ON submissions (person_id, review_state);

-- Every revision of a corrected response, never overwritten. A response never corrected has no
-- rows here: its only revision is the submission row itself (revision 1).
CREATE TABLE submission_revisions (
    submission_id  TEXT NOT NULL REFERENCES submissions (id),
    revision       BIGINT NOT NULL,
    version        TEXT NOT NULL,
    answers        TEXT NOT NULL,
    scores         TEXT NOT NULL,
    warnings       TEXT NOT NULL,
    logic_plugin   TEXT,
    scoring_plugin TEXT,
    author         TEXT NOT NULL,
    person_id      BIGINT,
    token_id       BIGINT,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (submission_id, revision)
);

-- Append-only, hash-chained: `hash` = sha256 of the entry's fields and `prev_hash`. `seq` is
-- assigned by the appender under the write lock, gapless from 1, so a deleted entry shows.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    person_id BIGINT,
    token_id  BIGINT,
    action    TEXT NOT NULL,
    study_id  TEXT,
    target    TEXT,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

CREATE INDEX audit_log_by_study ON audit_log (study_id, seq);
