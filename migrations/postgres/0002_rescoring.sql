-- Re-scoring, PostgreSQL flavour. Keep in step with migrations/sqlite/0002_rescoring.sql.

-- Which plugin produced each stored score: {"score name": "plugin sha256"}. NULL means every
-- score came from `scoring_plugin`, the version's plugin at submission time.
ALTER TABLE submissions ADD COLUMN score_plugins TEXT;

-- One re-scoring of a form's responses with one plugin. `cursor` is the `seq` of the last
-- submission done, committed with each batch, so an interrupted job resumes where it stopped;
-- `last_seq` bounds the job to the responses stored when it started.
CREATE TABLE rescore_jobs (
    id          BIGSERIAL PRIMARY KEY,
    study_id    TEXT NOT NULL,
    form_id     TEXT NOT NULL,
    version     TEXT,
    plugin      TEXT NOT NULL REFERENCES plugins (hash),
    state       TEXT NOT NULL,
    cursor      BIGINT NOT NULL DEFAULT 0,
    last_seq    BIGINT NOT NULL,
    total       BIGINT NOT NULL,
    done        BIGINT NOT NULL DEFAULT 0,
    failed      BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    started_by  TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    finished_at TEXT,
    FOREIGN KEY (study_id, form_id) REFERENCES forms (study_id, id)
);

CREATE INDEX rescore_jobs_by_form ON rescore_jobs (study_id, form_id, plugin, state);
