"""What a Partner API handler is given, and what it returns.

The gateway has already authenticated the call, checked its scopes and campaign and admitted it
under the limits; the handler gets the resolved call and reads only what is its own (the order
id, the query, the body).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.parameters import integer_parameter
from dbskit.market.domain.access import PartnerCall
from dbskit.market.runtime import Runtime

ORDER_PARAMETER = "orderId"


@dataclass(frozen=True, slots=True)
class PartnerRequest:
    http: Request
    call: PartnerCall
    runtime: Runtime

    @property
    def campaign_id(self) -> int:
        campaign_id = self.call.campaign_id
        if campaign_id is None:  # the operation table gives every campaign path its parameter
            raise LookupError(f"{self.call.operation.operation_id} has no campaign in its path")
        return campaign_id

    @property
    def order_id(self) -> int:
        """The path's ``orderId`` (R-003), or the 400 naming it."""
        return integer_parameter(ORDER_PARAMETER, self.call.path_params[ORDER_PARAMETER])


Handler = Callable[[PartnerRequest], Awaitable[Response]]
