"""green."""

__all__: list[str] = []
