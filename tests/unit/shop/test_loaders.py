"""Loading store data: every format, and errors that name file, place and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbskit.store_data.loaders import StoreDataError, load_store
from dbskit.store_data.loaders.csv_feed import read_csv
from dbskit.store_data.loaders.yml_feed import read_yml

SETTINGS_TOML = """\
[catalogue]
path = "offers.csv"
feed_id = 5

[[regions]]
id = 225
name = "Russia"
type = "COUNTRY"

[[regions]]
id = 213
name = "Moscow"
type = "CITY"
parent = 225

[[delivery]]
id = "courier"
region = 213
type = "DELIVERY"
service_name = "Courier"
intervals = [["10:00", "14:00"]]
payment_methods = ["YANDEX"]

[[delivery]]
id = "pickup"
region = 225
type = "PICKUP"
service_name = "Pick-up"
payment_methods = ["YANDEX"]

[[outlets]]
code = "P-1"
region = 213
"""

SETTINGS_YAML = """\
catalogue:
  path: offers.csv
  feed_id: 5
regions:
  - id: 225
    name: Russia
    type: COUNTRY
  - id: 213
    name: Moscow
    type: CITY
    parent: 225
delivery:
  - id: courier
    region: 213
    type: DELIVERY
    service_name: Courier
    intervals: [["10:00", "14:00"]]
    payment_methods: [YANDEX]
"""

CSV = """\
offerId,name,price,count,digital,sellerInn,vat
A-1,Kettle,2490,3,false,7712345671,VAT_20
K-1,Game key,999.50,100,true,,NO_VAT
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(exc: pytest.ExceptionInfo[StoreDataError], tmp_path: Path) -> list[str]:
    return [str(problem).replace(str(tmp_path) + "/", "") for problem in exc.value.problems]


@pytest.mark.parametrize(
    ("name", "text"), [("store.toml", SETTINGS_TOML), ("store.yaml", SETTINGS_YAML)]
)
def test_settings_in_toml_and_yaml_with_a_csv_catalogue(
    tmp_path: Path, name: str, text: str
) -> None:
    write(tmp_path, "offers.csv", CSV)
    data = load_store(write(tmp_path, name, text))
    kettle = data.catalogue.find(5, "A-1")
    key = data.catalogue.find(5, " K-1 ")
    assert kettle is not None and key is not None
    assert (kettle.price, kettle.stock, kettle.digital, kettle.seller_inn) == (
        2490.0,
        3,
        False,
        "7712345671",
    )
    assert (key.price, key.stock, key.digital, key.seller_inn) == (999.5, 100, True, None)
    assert data.regions.chain(213) == (213, 225)
    assert data.settings.time_zone.key == "Europe/Moscow"


def test_time_zone_override(tmp_path: Path) -> None:
    write(tmp_path, "offers.csv", CSV)
    data = load_store(write(tmp_path, "store.toml", SETTINGS_TOML), time_zone="Asia/Yekaterinburg")
    assert data.settings.time_zone.key == "Asia/Yekaterinburg"


def test_demo_store_ships_with_the_package() -> None:
    summary = load_store().summary()
    assert (summary.offers, summary.regions, summary.rules, summary.outlets) == (10, 25, 7, 6)


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "store.toml", "[catalogue]\npath = \n")
    with pytest.raises(StoreDataError) as exc:
        load_store(path)
    assert problems(exc, tmp_path) == ["store.toml: line 2, column 8: Invalid value"]


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "store.yaml", "catalogue:\n  path: [unclosed\n")
    with pytest.raises(StoreDataError) as exc:
        load_store(path)
    assert problems(exc, tmp_path) == [
        "store.yaml: line 3, column 1: "
        "while parsing a flow sequence did not find expected ',' or ']'"
    ]


def test_yaml_validation_errors_name_line_and_path(tmp_path: Path) -> None:
    broken = SETTINGS_YAML.replace("type: CITY", "type: TOWN").replace(
        '[["10:00", "14:00"]]', '[["10:30", "14:00"]]'
    )
    write(tmp_path, "offers.csv", CSV)
    with pytest.raises(StoreDataError) as exc:
        load_store(write(tmp_path, "store.yaml", broken))
    assert problems(exc, tmp_path) == [
        "store.yaml: line 10 (regions[1].type): Input should be 'OTHER', 'CITY_DISTRICT', "
        "'CITY', 'CONTINENT', 'COUNTRY_DISTRICT', 'COUNTRY', 'REGION', 'METRO_STATION', "
        "'MONORAIL_STATION', "
        "'OVERSEAS_TERRITORY', 'SECONDARY_DISTRICT', 'SETTLEMENT', 'SUBJECT_FEDERATION', "
        "'SUBJECT_FEDERATION_DISTRICT', 'VILLAGE' or 'SUBURB'",
        "store.yaml: line 17 (delivery[0].intervals): "
        "'10:30': interval times are HH:00 or 23:59 (R-062)",
    ]


@pytest.mark.rule("R-054", "R-055", "R-061", "R-062", "R-063")
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            ('service_name = "Courier"', 'service_name = "' + "C" * 51 + '"'),
            "store.toml: delivery[0].service_name: String should have at most 50 characters",
            id="service-name-over-50",
        ),
        pytest.param(
            ('intervals = [["10:00", "14:00"]]', 'intervals = [["22:00", "23:59"]]'),
            "store.toml: delivery[0].intervals: "
            "'22:00': an interval starts at 21:00 at the latest (R-062)",
            id="interval-starts-after-21",
        ),
        pytest.param(
            ('intervals = [["10:00", "14:00"]]', 'intervals = [["14:00", "10:00"]]'),
            "store.toml: delivery[0].intervals: "
            "'14:00'-'10:00': an interval must end after it starts",
            id="interval-backwards",
        ),
        pytest.param(
            ('id = "pickup"', 'id = "' + "p" * 47 + '"'),
            "store.toml: delivery[1].id: String should have at most 46 characters",
            id="rule-id-leaves-room-for-group-suffix",
        ),
        pytest.param(
            ('id = "pickup"', 'id = "pick up"'),
            "store.toml: delivery[1].id: String should match pattern '^[A-Za-z0-9_.-]+$'",
            id="rule-id-pattern",
        ),
        pytest.param(
            ("feed_id = 5", "feed_id = 5\nfeed = 6"),
            "store.toml: catalogue.feed: Extra inputs are not permitted",
            id="unknown-key",
        ),
        pytest.param(
            ("parent = 225", "parent = 999"),
            "store.toml: regions[1]: parent region 999 is not listed",
            id="unknown-parent",
        ),
        pytest.param(
            (
                '[[regions]]\nid = 225\nname = "Russia"\ntype = "COUNTRY"',
                '[[regions]]\nid = 225\nname = "Russia"\ntype = "COUNTRY"\nparent = 213',
            ),
            "store.toml: regions[0]: its parents loop back to region 225",
            id="parent-cycle",
        ),
        pytest.param(
            ('region = 225\ntype = "PICKUP"', 'region = 213\ntype = "POST"'),
            "store.toml: outlet P-1: no PICKUP rule covers region 213",
            id="outlet-without-pickup-rule",
        ),
        pytest.param(
            ("[catalogue]", '[store]\ntime_zone = "Mars/Olympus"\n\n[catalogue]'),
            "store.toml: line 2 (store.time_zone): unknown time zone 'Mars/Olympus'",
            id="unknown-time-zone",
        ),
        pytest.param(
            ("[[outlets]]", '[[restrictions]]\noffers = ["Z-9"]\nregions = [213]\n\n[[outlets]]'),
            "store.toml: restrictions[0]: offer 'Z-9' of feed 5 is not in the catalogue",
            id="restriction-of-unknown-offer",
        ),
    ],
)
def test_settings_validation_errors(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    write(tmp_path, "offers.csv", CSV)
    assert change[0] in SETTINGS_TOML
    path = write(tmp_path, "store.toml", SETTINGS_TOML.replace(change[0], change[1], 1))
    with pytest.raises(StoreDataError) as exc:
        load_store(path)
    assert problems(exc, tmp_path) == [
        expected.replace("line 2 (store.time_zone)", "store.time_zone")
    ]


def test_unknown_settings_format(tmp_path: Path) -> None:
    with pytest.raises(StoreDataError) as exc:
        load_store(write(tmp_path, "store.ini", "[x]"))
    assert problems(exc, tmp_path) == [
        "store.ini: unknown settings format '.ini': use .toml, .yaml or .yml"
    ]


def test_missing_catalogue_file(tmp_path: Path) -> None:
    with pytest.raises(StoreDataError) as exc:
        load_store(write(tmp_path, "store.toml", SETTINGS_TOML))
    assert problems(exc, tmp_path) == ["offers.csv: cannot be read: No such file or directory"]


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_errors_name_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "offers.csv",
        "offerId,name,price,count\nA-1,Kettle,cheap,3\nA-2,Mug,100,-1\n,Nameless,1,1\nA-4,Bowl,5\n",
    )
    with pytest.raises(StoreDataError) as exc:
        read_csv(path, feed_id=1, seller_inn=None)
    assert problems(exc, tmp_path) == [
        "offers.csv: line 2: price: 'cheap' is not a number",
        "offers.csv: line 3: count: '-1' is not a whole number of units",
        "offers.csv: line 4: offerId: '' is not a valid offer id (R-044)",
        "offers.csv: line 5: 3 values for 4 columns",
    ]


def test_csv_header_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "offers.csv", "offerId,title,price\n")
    with pytest.raises(StoreDataError) as exc:
        read_csv(path, feed_id=1, seller_inn=None)
    assert problems(exc, tmp_path) == [
        "offers.csv: line 1: column 'name' is missing",
        "offers.csv: line 1: column 'count' is missing",
        "offers.csv: line 1: unknown column 'title'",
    ]


def test_csv_duplicate_offer(tmp_path: Path) -> None:
    write(
        tmp_path, "offers.csv", "offerId,name,price,count\nA-1,Kettle,1,1\n A-1 ,Kettle again,1,1\n"
    )
    with pytest.raises(StoreDataError) as exc:
        load_store(write(tmp_path, "store.toml", SETTINGS_TOML))
    assert problems(exc, tmp_path) == ["offers.csv: offer 'A-1': listed twice"]


# --- YML ------------------------------------------------------------------------------------------

YML = """\
<?xml version="1.0" encoding="UTF-8"?>
<yml_catalog date="2026-11-01">
  <shop>
    <offers>
      <offer id="A-1" available="true">
        <name>Kettle</name>
        <price>2490</price>
        <count>3</count>
        <vat>VAT_20</vat>
        <param name="sellerInn">7801234564</param>
      </offer>
      <offer id="K-1">
        <name>Game key</name>
        <price>999</price>
        <count>50</count>
        <downloadable>true</downloadable>
      </offer>
      <offer id="A-2" available="false">
        <name>Old radio</name>
        <price>10</price>
        <count>8</count>
      </offer>
    </offers>
  </shop>
</yml_catalog>
"""


def test_yml_feed(tmp_path: Path) -> None:
    offers = read_yml(write(tmp_path, "feed.xml", YML), feed_id=3, seller_inn="7712345671")
    assert [
        (o.offer_id, o.name, o.price, o.stock, o.digital, o.seller_inn, o.vat.value) for o in offers
    ] == [
        ("A-1", "Kettle", 2490.0, 3, False, "7801234564", "VAT_20"),
        ("K-1", "Game key", 999.0, 50, True, "7712345671", "NO_VAT"),
        ("A-2", "Old radio", 10.0, 0, False, "7712345671", "NO_VAT"),
    ]


def test_yml_offer_problems_name_the_offer_line(tmp_path: Path) -> None:
    broken = YML.replace("<price>999</price>", "<price>free</price>").replace(
        "<count>3</count>", "<count>three</count>"
    )
    with pytest.raises(StoreDataError) as exc:
        read_yml(write(tmp_path, "feed.xml", broken), feed_id=3, seller_inn=None)
    assert problems(exc, tmp_path) == [
        "feed.xml: line 5 (offer 'A-1'): count: 'three' is not a whole number of units",
        "feed.xml: line 12 (offer 'K-1'): price: 'free' is not a number",
    ]


def test_yml_not_well_formed(tmp_path: Path) -> None:
    with pytest.raises(StoreDataError) as exc:
        read_yml(
            write(tmp_path, "feed.xml", YML.replace("</name>", "</nam>", 1)),
            feed_id=3,
            seller_inn=None,
        )
    assert problems(exc, tmp_path) == [
        "feed.xml: line 6, column 23: not well-formed XML: mismatched tag"
    ]


def test_yml_wrong_root(tmp_path: Path) -> None:
    with pytest.raises(StoreDataError) as exc:
        read_yml(write(tmp_path, "feed.xml", "<catalog/>"), feed_id=3, seller_inn=None)
    assert problems(exc, tmp_path) == [
        "feed.xml: line 1: root element is <catalog>, not <yml_catalog>"
    ]


NO_ENTITIES = "entity declarations are not allowed in a feed (no entity expansion)"
BILLION_LAUGHS = """\
<?xml version="1.0"?>
<!DOCTYPE yml_catalog [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<yml_catalog><shop><offers><offer id="A"><name>&lol9;</name></offer></offers></shop></yml_catalog>
"""


def test_billion_laughs_is_refused_without_expansion(tmp_path: Path) -> None:
    with pytest.raises(StoreDataError) as exc:
        read_yml(write(tmp_path, "feed.xml", BILLION_LAUGHS), feed_id=3, seller_inn=None)
    assert problems(exc, tmp_path) == [f"feed.xml: line 3: refused: {NO_ENTITIES}"]


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", "password")
    feed = f'<?xml version="1.0"?>\n<!DOCTYPE y [<!ENTITY x SYSTEM "file://{secret}">]>\n<yml_catalog>&x;</yml_catalog>'
    with pytest.raises(StoreDataError) as exc:
        read_yml(write(tmp_path, "feed.xml", feed), feed_id=3, seller_inn=None)
    assert problems(exc, tmp_path) == [f"feed.xml: line 2: refused: {NO_ENTITIES}"]
