"""coast."""

__all__: list[str] = []
