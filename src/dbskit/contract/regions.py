"""The Market's region directory (Market region ids; spec RegionDTO, push API region tree).

A small directory: the emulator names a test order's region in OrderDTO (the Partner API's
RegionType) and, on a checkout, sends POST /cart the region with its parents up to the country
(R-043, the push API's region types). The demo store's data use the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from dbskit.contract.cart import CartRegion, RegionType


@dataclass(frozen=True, slots=True)
class Region:
    id: int
    name: str
    type: str  # spec RegionType (Partner API)
    cart_type: RegionType  # the push API's type of the same region
    parent_id: int | None = None


RUSSIA: Final = Region(225, "Россия", "COUNTRY", RegionType.COUNTRY)
MOSCOW: Final = Region(213, "Москва", "CITY", RegionType.CITY, 1)

_FEDERAL_DISTRICT = ("COUNTRY_DISTRICT", RegionType.COUNTRY_DISTRICT)
_SUBJECT = ("REPUBLIC", RegionType.SUBJECT_FEDERATION)
_CITY = ("CITY", RegionType.CITY)
_CITY_DISTRICT = ("CITY_DISTRICT", RegionType.CITY_DISTRICT)

REGIONS: Final[dict[int, Region]] = {
    region.id: region
    for region in (
        RUSSIA,
        Region(3, "Центральный федеральный округ", *_FEDERAL_DISTRICT, 225),
        Region(1, "Москва и Московская область", *_SUBJECT, 3),
        MOSCOW,
        Region(20279, "Центральный административный округ", *_CITY_DISTRICT, 213),
        Region(120542, "Тверской район", "CITY_DISTRICT", RegionType.SECONDARY_DISTRICT, 20279),
        Region(20290, "Южный административный округ", *_CITY_DISTRICT, 213),
        Region(10758, "Химки", *_CITY, 1),
        Region(10743, "Одинцово", *_CITY, 1),
        Region(17, "Северо-Западный федеральный округ", *_FEDERAL_DISTRICT, 225),
        Region(10174, "Санкт-Петербург и Ленинградская область", *_SUBJECT, 17),
        Region(2, "Санкт-Петербург", *_CITY, 10174),
        Region(10857, "Калининградская область", *_SUBJECT, 17),
        Region(22, "Калининград", *_CITY, 10857),
        Region(40, "Приволжский федеральный округ", *_FEDERAL_DISTRICT, 225),
        Region(11119, "Республика Татарстан", *_SUBJECT, 40),
        Region(43, "Казань", *_CITY, 11119),
        Region(52, "Уральский федеральный округ", *_FEDERAL_DISTRICT, 225),
        Region(11162, "Свердловская область", *_SUBJECT, 52),
        Region(54, "Екатеринбург", *_CITY, 11162),
        Region(59, "Сибирский федеральный округ", *_FEDERAL_DISTRICT, 225),
        Region(11316, "Новосибирская область", *_SUBJECT, 59),
        Region(65, "Новосибирск", *_CITY, 11316),
        Region(149, "Беларусь", "COUNTRY", RegionType.COUNTRY),
        Region(157, "Минск", *_CITY, 149),
    )
}


def known_region_ids() -> str:
    """The directory's ids, for messages that name what a region id may be."""
    return ", ".join(str(region_id) for region_id in sorted(REGIONS))


def cart_region(region_id: int) -> CartRegion:
    """R-043: the region as POST /cart carries it, its parents nested up to the country."""
    region = REGIONS[region_id]
    return CartRegion(
        id=region.id,
        name=region.name,
        type=region.cart_type,
        parent=None if region.parent_id is None else cart_region(region.parent_id),
    )
