"""Run-time settings read from the environment (phase 1: the names; phase 2 reads them once here).

The DETENTE_* variables are still read where they are used; this module only lists them."""
from __future__ import annotations

ENVIRONMENT_VARIABLES = (
    "DETENTE_ENCODER",
    "DETENTE_SHARED_DATA",
)
