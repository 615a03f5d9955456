-- Campo's store, SQLite flavour. Keep in step with migrations/postgres/0001_init.sql.
CREATE TABLE studies (
    id           TEXT PRIMARY KEY,
    title_es     TEXT NOT NULL,
    title_en     TEXT NOT NULL,
    manifest     TEXT NOT NULL,
    installed_at TEXT NOT NULL
);

CREATE TABLE forms (
    study_id TEXT NOT NULL REFERENCES studies (id),
    id       TEXT NOT NULL,
    title_es TEXT NOT NULL,
    title_en TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (study_id, id)
);

-- Plugins are content-addressed: `hash` is the sha256 of `wasm`.
CREATE TABLE plugins (
    hash         TEXT PRIMARY KEY,
    wasm         BLOB NOT NULL,
    size         INTEGER NOT NULL,
    capabilities TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);

-- A published form version never changes: it pins its schema, settings and plugins.
CREATE TABLE form_versions (
    study_id       TEXT NOT NULL,
    form_id        TEXT NOT NULL,
    version        TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    content_hash   TEXT NOT NULL,
    schema_json    TEXT NOT NULL,
    schema_hash    TEXT NOT NULL,
    logic_plugin   TEXT REFERENCES plugins (hash),
    scoring_plugin TEXT REFERENCES plugins (hash),
    settings_json  TEXT NOT NULL,
    scores_json    TEXT NOT NULL,
    limits_json    TEXT NOT NULL,
    published_at   TEXT NOT NULL,
    PRIMARY KEY (study_id, form_id, version),
    FOREIGN KEY (study_id, form_id) REFERENCES forms (study_id, id)
);

-- Bearer tokens: only the sha256 of the secret is stored.
CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    hash       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    study_id   TEXT,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE submissions (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    study_id       TEXT NOT NULL,
    form_id        TEXT NOT NULL,
    version        TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    answers        TEXT NOT NULL,
    scores         TEXT NOT NULL,
    warnings       TEXT NOT NULL,
    enumerator     TEXT NOT NULL,
    token_id       INTEGER,
    received_at    TEXT NOT NULL,
    logic_plugin   TEXT,
    scoring_plugin TEXT,
    FOREIGN KEY (study_id, form_id, version) REFERENCES form_versions (study_id, form_id, version)
);

CREATE INDEX submissions_by_form ON submissions (study_id, form_id, seq);
