"""Documents of the sandbox control plane (/sandbox). They are dbskit's own, not the Market's."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field, model_validator

from dbskit.contract._base import ContractModel

MAX_ADVANCE_SECONDS = 10 * 365 * 86_400  # ten years: far beyond every documented window


class ClockState(ContractModel):
    now: datetime


class ClockChange(ContractModel):
    """Either ``advanceSeconds`` (forward by that much) or ``now`` (forward to that moment)."""

    advance_seconds: float | None = Field(
        None, alias="advanceSeconds", ge=0, le=MAX_ADVANCE_SECONDS, allow_inf_nan=False
    )
    now: AwareDatetime | None = Field(None, strict=True)  # an ISO 8601 string, not a number

    @model_validator(mode="after")
    def _exactly_one(self) -> ClockChange:
        if (self.advance_seconds is None) == (self.now is None):
            raise ValueError("Exactly one of fields advanceSeconds and now is required")
        return self


class LoggedMessage(ContractModel):
    """One side of a logged call: headers (credentials shown as ``***``) and body text."""

    headers: dict[str, str]
    body: str
    body_size: int = Field(alias="bodySize")  # bytes, the whole body
    body_truncated: bool = Field(alias="bodyTruncated")  # body holds only the first bytes


class LoggedRequest(ContractModel):
    """One Partner API call in the query log."""

    id: int
    time: datetime  # on the sandbox clock, when the call arrived
    method: str
    path: str  # as the caller spelled it
    query: str
    status: int
    operation_id: str | None = Field(None, alias="operationId")
    campaign_id: int | None = Field(None, alias="campaignId")
    business_id: int | None = Field(None, alias="businessId")
    request: LoggedMessage
    response: LoggedMessage


class RequestLogPaging(ContractModel):
    next_page_token: str | None = Field(None, alias="nextPageToken")


class RequestLogPage(ContractModel):
    """``GET /sandbox/requests``: newest first; ``paging.nextPageToken`` fetches older ones."""

    requests: list[LoggedRequest]
    paging: RequestLogPaging
