-- Merge policies, merge jobs with their swap journal, partition leases and
-- the audit log (see store/internal/mergesql). Times are Unix microseconds,
-- 0 for none; plans, progress, results and policies are JSON.

-- +goose Up
CREATE TABLE IF NOT EXISTS policies (
    scope      TEXT    PRIMARY KEY,
    data       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS merge_jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    state        TEXT    NOT NULL,
    db           TEXT    NOT NULL,
    tbl          TEXT    NOT NULL,
    catalog      TEXT    NOT NULL DEFAULT '',
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    started_at   INTEGER NOT NULL DEFAULT 0,
    finished_at  INTEGER NOT NULL DEFAULT 0,
    plan         TEXT    NOT NULL,
    progress     TEXT    NOT NULL DEFAULT '{}',
    error        TEXT    NOT NULL DEFAULT '',
    river_job_id INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS merge_jobs_state ON merge_jobs (state, id);
CREATE INDEX IF NOT EXISTS merge_jobs_table ON merge_jobs (db, tbl, id);

-- One journal entry per partition of a job; step is the last step recorded.
CREATE TABLE IF NOT EXISTS merge_results (
    job_id     INTEGER NOT NULL REFERENCES merge_jobs (id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    step       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL DEFAULT 0,
    data       TEXT    NOT NULL,
    PRIMARY KEY (job_id, idx)
);
CREATE INDEX IF NOT EXISTS merge_results_step ON merge_results (step, expires_at);

CREATE TABLE IF NOT EXISTS leases (
    lease_key  TEXT    PRIMARY KEY,
    owner      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    target TEXT    NOT NULL,
    detail TEXT    NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE IF EXISTS audit_log;
DROP TABLE IF EXISTS leases;
DROP TABLE IF EXISTS merge_results;
DROP TABLE IF EXISTS merge_jobs;
DROP TABLE IF EXISTS policies;
