"""Load errors that name the file, the place in it (line or path) and the reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    where: str  # "line 12", "delivery[3].region", "line 12 (delivery[3].region)", or ""
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.where}: {self.reason}"
            if self.where
            else f"{self.file}: {self.reason}"
        )


class StoreDataError(Exception):
    """The store data could not be loaded; ``problems`` lists every reason found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @classmethod
    def one(cls, file: Path | str, where: str, reason: str) -> StoreDataError:
        return cls([Problem(str(file), where, reason)])
