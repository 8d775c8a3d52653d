"""The ``cis`` parser against the seed's two regular expressions (R-031, R-032, C-08, OQ-09).

The expressions below are written exactly as seed 002 prints them (``\\u001D`` is the regex escape
of the GS separator); ``re`` compiles them independently of ``limits.py``, so a wrong quotation
there fails these tests. ``re.ASCII``: in the Market's Java regexes ``\\d`` is ``[0-9]``.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dbskit.market.domain.marking import Cis, parse_cis, short_cis

SEED_WITH_TAIL = re.compile(
    r"^(?=.{1,256}$)\u001D?(\(?01\)?\d{14}\(?21\)?([!-~]{6,8}|[!-~]{13}|[!-~]{20})"
    r"(\u001D\(?240\)?.{1,30})?\u001D\(?9[1,3]\)?.+)$",
    re.ASCII,
)
SEED_WITHOUT_TAIL = re.compile(
    r"^(?=[!-~]{1,256}$)(\(?01\)?\d{14}\(?21\)?(.{6,8}|.{13}|.{20}))$", re.ASCII
)
GS = "\x1d"
DOCS_SAMPLE = "01030410947874432155Qbag!\u001d93Zjqw"  # right
DOCS_SAMPLE_WRONG = "01030410947874432155Qbag!\\u001d93Zjqw"  # doubled backslash


def seed_accepts(value: str) -> bool:
    return bool(SEED_WITH_TAIL.fullmatch(value) or SEED_WITHOUT_TAIL.fullmatch(value))


@pytest.mark.rule("R-031", "R-032", "C-08", "OQ-09")
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            DOCS_SAMPLE,
            Cis("01030410947874432155Qbag!", DOCS_SAMPLE, "03041094787443", "55Qbag!", True),
            id="R-032-docs-sample-7-char-serial",
        ),
        pytest.param(
            "0103041094787443215Qbag!\x1d93Zjqw",
            Cis(
                "0103041094787443215Qbag!",
                "0103041094787443215Qbag!\x1d93Zjqw",
                "03041094787443",
                "5Qbag!",
                True,
            ),
            id="C-08-serial-6",
        ),
        pytest.param(
            GS + "(01)03041094787443(21)55Qbag!\x1d(91)EE06\x1d(92)tail==",
            Cis(
                "01030410947874432155Qbag!",
                GS + "(01)03041094787443(21)55Qbag!\x1d(91)EE06\x1d(92)tail==",
                "03041094787443",
                "55Qbag!",
                True,
            ),
            id="OQ-09-leading-gs-and-brackets-removed",
        ),
        pytest.param(
            "010304109478744321ABCDEFGHIJKLM\x1d240abc\x1d93x",
            Cis(
                "010304109478744321ABCDEFGHIJKLM",
                "010304109478744321ABCDEFGHIJKLM\x1d240abc\x1d93x",
                "03041094787443",
                "ABCDEFGHIJKLM",
                True,
            ),
            id="serial-13-with-240-group",
        ),
        pytest.param(
            "01030410947874432155Qbag!\x1d9,Zjqw",
            Cis(
                "01030410947874432155Qbag!",
                "01030410947874432155Qbag!\x1d9,Zjqw",
                "03041094787443",
                "55Qbag!",
                True,
            ),
            id="R-031-9-comma-is-in-the-class",
        ),
        pytest.param(
            "01030410947874432155Qbag!",
            Cis(
                "01030410947874432155Qbag!",
                "01030410947874432155Qbag!",
                "03041094787443",
                "55Qbag!",
                False,
            ),
            id="without-crypto-tail",
        ),
        pytest.param(
            "(01)03041094787443(21)55Qbag!",
            Cis(
                "01030410947874432155Qbag!",
                "(01)03041094787443(21)55Qbag!",
                "03041094787443",
                "55Qbag!",
                False,
            ),
            id="without-crypto-tail-brackets",
        ),
    ],
)
def test_accepted(value: str, expected: Cis) -> None:
    assert parse_cis(value) == expected


@pytest.mark.rule("R-031", "R-032", "C-08")
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(DOCS_SAMPLE_WRONG, id="R-032-doubled-backslash"),
        pytest.param("", id="empty"),
        pytest.param("0103041094787443215Qbag\x1d93Zjqw", id="serial-5"),
        pytest.param("010304109478744321123456789\x1d93Zjqw", id="serial-9"),
        pytest.param("01030410947874432155Qbag!\x1d92Zjqw", id="92-not-in-class"),
        pytest.param("01030410947874432155Qbag!\x1d93", id="crypto-tail-empty"),
        pytest.param("0103041094787443X155Qbag!\x1d93Zjqw", id="gtin-not-digits"),
        pytest.param("01٠٣٠٤١٠٩٤٧٨٧٤٤٣2155Qbag!\x1d93Zjqw", id="gtin-arabic-indic-digits"),
        pytest.param("02030410947874432155Qbag!\x1d93Zjqw", id="not-01"),
        pytest.param(DOCS_SAMPLE + "\n", id="trailing-newline"),
        pytest.param("01030410947874432155Qbag !", id="space-in-serial-without-tail"),
        pytest.param(DOCS_SAMPLE + "x" * 230, id="over-256"),
    ],
)
def test_rejected(value: str) -> None:
    assert parse_cis(value) is None
    assert not seed_accepts(value)


@pytest.mark.rule("R-031")
def test_256_is_the_limit() -> None:
    at_limit = DOCS_SAMPLE + "x" * (256 - len(DOCS_SAMPLE))
    assert parse_cis(at_limit) is not None
    assert parse_cis(at_limit + "x") is None


# --- hypothesis: arbitrary strings and generated valid codes --------------------------------------

PRINTABLE = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
NOT_NEWLINE = st.characters(blacklist_characters="\n")
ALPHABET = st.sampled_from([*"0123456789()!~ aZ,\x1d\n", "٣", "é"])


@st.composite
def cis_parts(draw: st.DrawFn, *, crypto_tail: bool) -> tuple[str, str, str, str]:
    """(code, gtin, serial, expected short cis) built to the seed's grammar."""
    gtin = draw(st.text(st.sampled_from("0123456789"), min_size=14, max_size=14))
    serial = draw(st.sampled_from([6, 7, 8, 13, 20]))  # C-08: {6,8}, 13 or 20
    serial_text = draw(st.text(PRINTABLE, min_size=serial, max_size=serial))
    close_21 = draw(st.booleans())
    if not close_21 and serial_text.startswith(")"):
        # "21)" would be read as a bracket: the regex would take a shorter serial.
        serial_text = "x" + serial_text[1:]
    open_01, close_01, open_21 = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    head = (
        ("(" if open_01 else "")
        + "01"
        + (")" if close_01 else "")
        + gtin
        + ("(" if open_21 else "")
        + "21"
        + (")" if close_21 else "")
    )
    code = head + serial_text
    if crypto_tail:
        prefix = GS if draw(st.booleans()) else ""
        group_240 = ""
        if draw(st.booleans()):
            group_240 = (
                GS
                + draw(st.sampled_from(["240", "(240)"]))
                + draw(st.text(NOT_NEWLINE, min_size=1, max_size=30))
            )
        ai = draw(st.sampled_from(["91", "93", "9,", "(91)", "(93)", "(9,)"]))
        tail = draw(st.text(NOT_NEWLINE, min_size=1, max_size=40))
        code = prefix + code + group_240 + GS + ai + tail
    return code, gtin, serial_text, "01" + gtin + "21" + serial_text


@pytest.mark.rule("R-031")
@settings(max_examples=500, deadline=None)
@given(st.text(ALPHABET, max_size=60) | st.text(max_size=300))
@example(DOCS_SAMPLE)
@example(DOCS_SAMPLE_WRONG)
def test_parser_agrees_with_the_seed_regexes(value: str) -> None:
    assert (parse_cis(value) is not None) is seed_accepts(value)


@pytest.mark.rule("R-031", "OQ-09")
@settings(max_examples=300, deadline=None)
@given(
    st.booleans().flatmap(lambda tail: cis_parts(crypto_tail=tail)).map(lambda parts: parts[0])
    | st.text(ALPHABET, max_size=60)
)
@example(DOCS_SAMPLE)
def test_the_short_form_put_identifiers_stores_is_the_parsers(value: str) -> None:
    parsed = parse_cis(value)
    assert short_cis(value) == (None if parsed is None else parsed.cis)


@pytest.mark.rule("R-031", "OQ-09")
@settings(max_examples=300, deadline=None)
@given(st.booleans().flatmap(lambda tail: cis_parts(crypto_tail=tail)))
def test_generated_codes_are_accepted_and_round_trip(parts: tuple[str, str, str, str]) -> None:
    code, gtin, serial, short = parts
    if len(code) > 256:
        assert parse_cis(code) is None
        assert not seed_accepts(code)
        return
    parsed = parse_cis(code)
    assert seed_accepts(code)
    assert parsed is not None
    assert (parsed.cis_full, parsed.cis, parsed.gtin, parsed.serial) == (code, short, gtin, serial)
    # The short form is itself a valid code without the crypto-tail and parses to itself, except
    # maybe when its serial starts with ")": after a bare "21" the regex may read it as a bracket.
    again = parse_cis(parsed.cis)
    assert again is not None
    assert again.has_crypto_tail is False
    assert again.cis == parsed.cis or serial.startswith(")")


@pytest.mark.rule("R-031")
@settings(max_examples=300, deadline=None)
@given(cis_parts(crypto_tail=True), st.integers(0, 40), st.characters())
def test_mutated_codes_follow_the_seed_regexes(
    parts: tuple[str, str, str, str], position: int, character: str
) -> None:
    code = parts[0]
    index = position % (len(code) + 1)
    mutated = code[:index] + character + code[index + 1 :]
    assert (parse_cis(mutated) is not None) is seed_accepts(mutated)
