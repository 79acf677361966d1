"""Run-time settings (issue 13 phase 1: shared constants and the environment variables' names).

The DETENTE_* variables are still read where they are used; phase 2 reads them once here."""

from __future__ import annotations

ENVIRONMENT_VARIABLES = (
    "DETENTE_CODER",  # execution: the coder factory 'module:Name' of worker processes
    "DETENTE_DEBUG",  # cli: tracebacks instead of one-line errors
    "DETENTE_ENCODER",  # coding.relation: the --accurate reader on/off (reaches workers)
    "DETENTE_MAX_STORY_CHARS",  # io.readers: longest story accepted
    "DETENTE_PRELOAD_GAZETTEER",  # coding.places
    "DETENTE_SHARED_DATA",  # training: the shared reference data directory
)

# Documents handed to nlp.pipe at once inside a worker (spaCy's own minibatch size).
PIPE_BATCH = 64
