"""The slip keeps only the documented tags (R-005); the e-mail carries keys, date, slip (R-011)."""

from __future__ import annotations

from datetime import date

import pytest

from dbskit.contract.digital_goods import DigitalGoodsSubmission, DigitalItemKeys, KeyBatch
from dbskit.market.domain.slip import KeysEmail, render_keys_email, sanitise_slip
from tests.unit._builders import digital_order, item


@pytest.mark.rule("R-005")
@pytest.mark.parametrize(
    ("slip", "expected"),
    [
        pytest.param("Enter the key at example.com", "Enter the key at example.com", id="plain"),
        pytest.param(
            "<h>Steps</h><h1>a</h1><h2>b</h2><h3>c</h3><h4>d</h4><h5>e</h5><h6>f</h6>",
            "<h>Steps</h><h1>a</h1><h2>b</h2><h3>c</h3><h4>d</h4><h5>e</h5><h6>f</h6>",
            id="headings-kept-including-h",
        ),
        pytest.param(
            "<p>one<br>two<br/>three</p><div>x</div>",
            "<p>one<br>two<br>three</p><div>x</div>",
            id="p-br-div-kept",
        ),
        pytest.param(
            "<ol><li>first</li></ol><ul><li>second</li></ul>",
            "<ol><li>first</li></ol><ul><li>second</li></ul>",
            id="lists-kept",
        ),
        pytest.param(
            '<p class="x" style="color:red" onclick="steal()">text</p>',
            "<p>text</p>",
            id="attributes-removed",
        ),
        pytest.param(
            '<a href="javascript:alert(1)">click</a>',
            "click",
            id="javascript-url-removed",
        ),
        pytest.param(
            '<img src="x" onerror="alert(1)">after',
            "after",
            id="img-removed",
        ),
        pytest.param("<script>alert(1)</script>safe", "safe", id="script-and-content-removed"),
        pytest.param("<style>p{}</style>safe", "safe", id="style-and-content-removed"),
        pytest.param(
            "<li>stray</li><ol><li>ok</li></ol>", "stray<ol><li>ok</li></ol>", id="li-outside-list"
        ),
        pytest.param(
            "<ul><div><li>in div</li></div></ul>",
            "<ul><div>in div</div></ul>",
            id="li-not-directly-in-list",
        ),
        pytest.param(
            "<ul><li>a<ol><li>nested</li></ol></li></ul>",
            "<ul><li>a<ol><li>nested</li></ol></li></ul>",
            id="nested-lists",
        ),
        pytest.param(
            "&amp; &lt;b&gt; &nbsp; &#65; &#x42; 1 < 2 > 0",
            "&amp; &lt;b&gt; &nbsp; A B 1 &lt; 2 &gt; 0",
            id="entities",
        ),
        pytest.param("<h7>x</h7><span>y</span><b>z</b>", "xyz", id="unknown-tags-unwrapped"),
        pytest.param("<p>open<div>unclosed", "<p>open</p><div>unclosed</div>", id="unclosed"),
        pytest.param("<!-- hidden -->shown", "shown", id="comment-removed"),
        pytest.param("<svg><script>alert(1)</script></svg>x", "x", id="svg-script"),
        pytest.param("<iframe src=//evil></iframe><form><input></form>ok", "ok", id="iframe-form"),
        pytest.param('<p title="&quot;><script>x</script>">t</p>', "<p>t</p>", id="attr-breakout"),
    ],
)
def test_sanitise_slip(slip: str, expected: str) -> None:
    assert sanitise_slip(slip) == expected


@pytest.mark.rule("R-005")
def test_deep_nesting_is_kept_and_closed() -> None:
    nested = "<div>" * 900 + "deep" + "</div>" * 900  # 9,904 characters: within the slip limit
    assert sanitise_slip(nested) == nested
    unclosed = "<ol>" * 2000 + "deep"
    assert sanitise_slip(unclosed) == unclosed + "</ol>" * 2000
    assert sanitise_slip("<li>" * 2000 + "x") == "x"


@pytest.mark.rule("R-011", "R-005")
def test_email_carries_keys_date_and_sanitised_slip() -> None:
    order = digital_order(item(1, 2, offer_name="Game <Deluxe>"), item(2, 1))
    submission = DigitalGoodsSubmission(
        (
            DigitalItemKeys(
                1,
                (
                    KeyBatch(("KEY-1",), "<p onclick=x>Open <b>Store</b></p>", date(2030, 1, 1)),
                    KeyBatch(("KEY-<2>",), "<li>Redeem</li>", date(2031, 2, 3)),
                ),
            ),
            DigitalItemKeys(2, (KeyBatch(("KEY-3",), "Plain", date(2030, 1, 1)),), 1),
        )
    )
    assert render_keys_email(order, submission) == KeysEmail(
        subject="Your keys for order 1001",
        html=(
            "<h1>Your keys for order 1001</h1>"
            "<h2>Game &lt;Deluxe&gt;</h2>"
            "<ol><li>KEY-1</li></ol><p>Activate before 2030-01-01</p><div><p>Open Store</p></div>"
            "<ol><li>KEY-&lt;2&gt;</li></ol><p>Activate before 2031-02-03</p><div>Redeem</div>"
            "<h2>Product 2</h2>"
            "<ol><li>KEY-3</li></ol><p>Activate before 2030-01-01</p><div>Plain</div>"
        ),
        text=(
            "Your keys for order 1001\n\n"
            "Game <Deluxe>\n  KEY-1\nActivate before 2030-01-01\nOpen Store\n"
            "  KEY-<2>\nActivate before 2031-02-03\nRedeem\n\n"
            "Product 2\n  KEY-3\nActivate before 2030-01-01\nPlain\n"
        ),
    )
