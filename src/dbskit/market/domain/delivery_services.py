"""The emulator's delivery-service directory (R-118): what ``GET v2/delivery/services`` lists and
what a ``deliveryServiceId`` sent to the emulator is checked against.

Ids and names follow the shape of the Market's directory (int64 ids, Russian carriers and the
store's own courier service); they are the emulator's own data, not a copy of the live list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class DeliveryService:
    id: int
    name: str


OWN_DELIVERY_SERVICE_ID: Final = 99  # the store delivers with its own couriers (DBS)

DELIVERY_SERVICES: Final[tuple[DeliveryService, ...]] = (
    DeliveryService(OWN_DELIVERY_SERVICE_ID, "Собственная служба доставки"),
    DeliveryService(1, "Почта России"),
    DeliveryService(51, "СДЭК"),
    DeliveryService(106, "Boxberry"),
    DeliveryService(107, "PickPoint"),
    DeliveryService(139, "DPD"),
    DeliveryService(147, "Деловые Линии"),
    DeliveryService(152, "ПЭК"),
    DeliveryService(198, "IML"),
    DeliveryService(239, "DHL Express"),
    DeliveryService(1003375, "Курьер Сервис Экспресс"),
    DeliveryService(1003937, "Major Express"),
    DeliveryService(1005117, "Pony Express"),
    DeliveryService(1005372, "Байкал Сервис"),
    DeliveryService(1005486, "Яндекс Доставка"),
    DeliveryService(1005532, "Достависта"),
    DeliveryService(1005720, "КИТ"),
    DeliveryService(1006360, "Желдорэкспедиция"),
    DeliveryService(1006419, "5Post"),
    DeliveryService(1006422, "Энергия"),
    DeliveryService(1006596, "Л-Пост"),
    DeliveryService(1006741, "Grastin"),
    DeliveryService(1006818, "Почта России EMS"),
    DeliveryService(1007021, "Ozon Rocket"),
)

_BY_ID: Final = {service.id: service for service in DELIVERY_SERVICES}


def delivery_service(service_id: int) -> DeliveryService | None:
    """The directory entry with this id, or None when the directory has no such service."""
    return _BY_ID.get(service_id)
