"""Placeholder: this module is being written (see the issue for its topic)."""

__all__: list[str] = []
