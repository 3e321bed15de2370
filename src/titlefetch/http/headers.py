"""Response headers: looked up without regard to case, every value of a repeated one kept."""

from __future__ import annotations

from collections.abc import Iterable


class Headers:
    """Response headers, looked up without regard to case; repeated ones keep every value."""

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name.lower(), []).append(value)

    def add(self, name: str, value: str) -> None:
        """Add a header whose `name` is in lower case already."""
        values = self._values.get(name)
        if values is None:
            self._values[name] = [value]
        else:
            values.append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The header's value (repeated values joined by ", ", as urllib3 does)."""
        values = self._values.get(name.lower())
        return ", ".join(values) if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name.lower(), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values
