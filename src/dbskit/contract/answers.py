"""Answers every Partner API method may give."""

from __future__ import annotations

from typing import Literal

from dbskit.contract._base import ContractModel


class EmptyApiResponse(ContractModel):
    """The answer of a method that returns nothing but its success (R-010, R-020)."""

    status: Literal["OK"] = "OK"
