"""``POST /sandbox/campaigns/{campaignId}/checkout``: a basket checked out through the store.

The sandbox's own documents (not the Market's): the basket as the buyer put it together, and
the answer — the test order made from the store's POST /cart answer, with that answer.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from dbskit.contract import limits
from dbskit.contract._base import ContractModel, Int64, JsonDecimal
from dbskit.contract.cart import CartAnswerBody
from dbskit.contract.enums import DeliveryType
from dbskit.contract.orders import OrderDTO
from dbskit.contract.sandbox import SandboxOrderBuyer, SandboxOrderItem


class CheckoutItem(SandboxOrderItem):
    """A basket line: the offer of the store's feed, as the buyer saw it on the Market.

    The Market knows each offer's feed and price from the catalogue it indexed (R-044: both
    travel in POST /cart ``items[]``). The sandbox knows only the catalogue of the store it
    serves itself; for other stores the line names them.
    """

    feed_id: Int64 = Field(alias="feedId", strict=True)


class BasketLine(CheckoutItem):
    """A line as sent: ``feedId`` and ``price`` may be left out for an offer of the store this
    server runs (the demo store or ``--store-data``), where the sandbox looks them up."""

    feed_id: Int64 | None = Field(None, alias="feedId", strict=True)  # type: ignore[assignment]
    price: JsonDecimal | None = Field(  # type: ignore[assignment]
        None, gt=0, le=limits.SANDBOX_ORDER_PRICE_MAX, decimal_places=2
    )


class CheckoutRequest(ContractModel):
    items: list[CheckoutItem] = Field(min_length=1, max_length=limits.SANDBOX_ORDER_ITEMS_MAX)
    region_id: int = Field(alias="regionId", strict=True)
    # The option type the buyer picks; the store's first option when left out.
    delivery_type: DeliveryType | None = Field(None, alias="deliveryType")
    buyer: SandboxOrderBuyer = Field(default_factory=SandboxOrderBuyer)

    @field_validator("delivery_type")
    @classmethod
    def _known_type(cls, value: DeliveryType | None) -> DeliveryType | None:
        if value is DeliveryType.UNKNOWN:
            raise ValueError(
                "Value of field {field} must be one of DELIVERY, PICKUP, POST, DIGITAL"
            )
        return value


class CheckoutBody(CheckoutRequest):
    """The body of the checkout call; ``complete_basket`` turns it into a ``CheckoutRequest``."""

    items: list[BasketLine] = Field(  # type: ignore[assignment]
        min_length=1, max_length=limits.SANDBOX_ORDER_ITEMS_MAX
    )


class CheckoutWarning(ContractModel):
    """Something in the store's answer the Market tolerates (OQ-17, OQ-20, C-14, C-16)."""

    rule: str
    path: str
    message: str


class CheckoutResponse(ContractModel):
    order: OrderDTO  # as getOrder shows it
    cart: CartAnswerBody  # the store's answer the order was made from
    warnings: list[CheckoutWarning]
