"""hazard."""

__all__: list[str] = []
