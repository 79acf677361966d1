"""The event store's tables (DuckDB DDL) and the column order of documents and events."""

from __future__ import annotations

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS documents (
    id VARCHAR PRIMARY KEY,
    content_hash VARCHAR,
    source VARCHAR,
    url VARCHAR,
    title VARCHAR,
    date DATE,
    text VARCHAR,
    metadata JSON,
    origin VARCHAR,
    n_events INTEGER,
    duplicate_of VARCHAR,
    coded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS events (
    id VARCHAR PRIMARY KEY,
    doc_id VARCHAR,
    sentence_index INTEGER,
    date DATE,
    event VARCHAR,
    mode VARCHAR,
    context VARCHAR[],
    quad_code TINYINT,
    cameo_code VARCHAR,
    goldstein DOUBLE,
    event_scale DOUBLE,
    source_code VARCHAR,
    source_sector VARCHAR,
    target_code VARCHAR,
    target_sector VARCHAR,
    event_text VARCHAR,
    text VARCHAR,
    span_start INTEGER,
    span_end INTEGER,
    loc_text VARCHAR,
    loc_name VARCHAR,
    loc_country VARCHAR,
    lat DOUBLE,
    lon DOUBLE,
    geonameid BIGINT,
    confidence DOUBLE,
    negated BOOLEAN,
    hypothetical BOOLEAN,
    future BOOLEAN,
    historical BOOLEAN,
    "symmetric" BOOLEAN,
    coder_version VARCHAR,
    record JSON,
    date_precision VARCHAR
);
CREATE TABLE IF NOT EXISTS event_actors (
    event_id VARCHAR,
    role VARCHAR,
    position INTEGER,
    code VARCHAR,
    sector VARCHAR,
    text VARCHAR,
    name VARCHAR
);
CREATE TABLE IF NOT EXISTS mentions (
    event_id VARCHAR,
    doc_id VARCHAR,
    source VARCHAR,
    date DATE,
    PRIMARY KEY (event_id, doc_id)
);
"""

EVENT_COLUMNS = [
    "id",
    "doc_id",
    "sentence_index",
    "date",
    "event",
    "mode",
    "context",
    "quad_code",
    "cameo_code",
    "goldstein",
    "event_scale",
    "source_code",
    "source_sector",
    "target_code",
    "target_sector",
    "event_text",
    "text",
    "span_start",
    "span_end",
    "loc_text",
    "loc_name",
    "loc_country",
    "lat",
    "lon",
    "geonameid",
    "confidence",
    "negated",
    "hypothetical",
    "future",
    "historical",
    "symmetric",
    "coder_version",
    "record",
    "date_precision",
]
DOC_COLUMNS = [
    "id",
    "content_hash",
    "source",
    "url",
    "title",
    "date",
    "text",
    "metadata",
    "origin",
    "n_events",
    "duplicate_of",
    "coded_at",
]

# `detente watch` (watch.py, alerts.py): per-source polling state and the alerts raised. Created
# with the core tables so that every reader (API, `detente alerts`) finds them, empty or not.
WATCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS watch_sources (
    source VARCHAR PRIMARY KEY,   -- URL or absolute path
    kind VARCHAR,                 -- http | directory | jsonl
    last_poll TIMESTAMP,          -- UTC
    last_success TIMESTAMP,
    etag VARCHAR,                 -- HTTP validators of the last response whose items are all stored
    last_modified VARCHAR,
    cursor VARCHAR,               -- files: how far the stored items go (see watch.py)
    failures INTEGER,             -- consecutive failed polls (0 after a success)
    last_status INTEGER,          -- last HTTP status
    last_error VARCHAR,
    items BIGINT                  -- documents stored from this source
);
CREATE TABLE IF NOT EXISTS alerts (
    id VARCHAR PRIMARY KEY,       -- hash of `key`: one alert per rule and story / period
    seq BIGINT,                   -- 1, 2, 3... in the order raised (the dashboard stream's cursor)
    key VARCHAR,
    rule VARCHAR,
    kind VARCHAR,                 -- event | spike | cci_shift
    created_at TIMESTAMP,         -- UTC
    period DATE,
    message VARCHAR,              -- the one-line text printed by the watcher
    event_ids VARCHAR[],          -- the events behind the alert
    details JSON,
    webhook_status VARCHAR,       -- NULL (no webhook), pending, sent, failed
    webhook_attempts INTEGER
);
"""
