"""The framework-free compression engine.

Nothing in this subpackage imports LangChain, Agno or torch at import time;
integrations import the engine, never the reverse. Public names are
re-exported from :mod:`headroom_integrations`.
"""
