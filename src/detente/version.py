"""The one version string of Detente (pyproject.toml, the package, records and the API read it)."""

__version__ = "0.1.0"
