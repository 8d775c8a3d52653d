"""Marking codes: the formats of ``cis``, ``uin``, ``rnpt``, ``gtd`` and ``countryCode``.

R-031..R-033, C-08..C-10, OQ-09. A ``cis`` is valid when the seed's regular expression with the
crypto-tail, or the one without it, matches the whole string (``limits.CIS_*``, quoted
literally). The short form (``cis`` in answers) is ``01`` + GTIN + ``21`` + serial, without a
leading GS and brackets, cut where the serial ends; the full form (``cisFull``) is the string as
sent. The decomposition is the regular expression's own (its capture groups), so the parser and
the pattern can never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dbskit.contract import limits
from dbskit.contract.enums import InstanceType
from dbskit.contract.errors import ErrorCode, ErrorDetail, Messages
from dbskit.contract.identifiers import BriefOrderItemInstance, OrderItemInstance

_COUNTRY_CODE = re.compile(limits.COUNTRY_CODE_PATTERN, re.ASCII)


def _shown(pattern: str) -> str:
    """A pattern as the seed writes it: the GS separator spelled ``\\u001D``."""
    return pattern.replace(limits.GS, "\\u001D")


CIS_WITH_CRYPTO_TAIL_TEXT = _shown(limits.CIS_WITH_CRYPTO_TAIL.pattern)
CIS_WITHOUT_CRYPTO_TAIL_TEXT = _shown(limits.CIS_WITHOUT_CRYPTO_TAIL.pattern)


@dataclass(frozen=True, slots=True)
class Cis:
    """A «Честный ЗНАК» code split as the seed's regular expression splits it (OQ-09)."""

    cis: str  # 01 + GTIN + 21 + serial
    cis_full: str  # as sent
    gtin: str
    serial: str
    has_crypto_tail: bool


def _cis_match(value: str) -> tuple[re.Match[str], bool] | None:
    """The seed expression matching all of ``value``, and whether it is the one with the tail."""
    match = limits.CIS_WITH_CRYPTO_TAIL.fullmatch(value)
    if match is not None:
        return match, True
    match = limits.CIS_WITHOUT_CRYPTO_TAIL.fullmatch(value)
    return None if match is None else (match, False)


def _cis_head(value: str, match: re.Match[str]) -> str:
    """``01`` + GTIN + ``21``: group 1 starts after the optional leading GS; group 2 is the
    serial number."""
    return value[match.start(1) : match.start(2)].replace("(", "").replace(")", "")


def parse_cis(value: str) -> Cis | None:
    """The code, or ``None`` when neither seed expression matches all of ``value`` (R-031)."""
    found = _cis_match(value)
    if found is None:
        return None
    match, has_crypto_tail = found
    head = _cis_head(value, match)
    serial = match.group(2)
    return Cis(
        cis=head + serial,
        cis_full=value,
        gtin=head[2:-2],
        serial=serial,
        has_crypto_tail=has_crypto_tail,
    )


def short_cis(value: str) -> str | None:
    """``parse_cis(value).cis`` without the rest of the decomposition (R-031, OQ-09)."""
    found = _cis_match(value)
    if found is None:
        return None
    match = found[0]
    return _cis_head(value, match) + match.group(2)


def is_uin(value: str) -> bool:
    return limits.UIN_PATTERN.fullmatch(value) is not None


def is_rnpt(value: str, *, strict_widths: bool) -> bool:
    pattern = limits.RNPT_STRICT if strict_widths else limits.RNPT_SHAPE
    return pattern.fullmatch(value) is not None


def is_gtd(value: str, *, strict_widths: bool) -> bool:
    pattern = limits.GTD_STRICT if strict_widths else limits.GTD_SHAPE
    return pattern.fullmatch(value) is not None


def is_country_code(value: str) -> bool:
    return _COUNTRY_CODE.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class MarkingCode:
    """One stored unit identifier. ``value`` is as sent; ``cis`` is the short form for CIS."""

    kind: InstanceType
    value: str
    cis: str | None = None
    country_code: str | None = None

    @property
    def identity(self) -> str:
        """What makes two codes the same unit: the short ``cis`` ignores the crypto-tail."""
        return self.cis if self.cis is not None else self.value

    def as_instance(self) -> OrderItemInstance:
        """The answer's ``OrderItemInstanceDTO`` (R-034, OQ-09): a CIS as sent in ``cisFull``
        and without its crypto tail in ``cis``; any other code in the field of its kind."""
        if self.kind is InstanceType.CIS:
            return OrderItemInstance(cis=self.cis, cis_full=self.value)
        return OrderItemInstance.model_validate(
            {_FIELD_OF_KIND[self.kind]: self.value, "country_code": self.country_code}
        )


_COUNTRY_ALLOWED_WITH = frozenset({InstanceType.RNPT, InstanceType.GTD})
# The instance field each kind of code is written in.
_FIELD_OF_KIND = {
    InstanceType.CIS: "cis",
    InstanceType.UIN: "uin",
    InstanceType.RNPT: "rnpt",
    InstanceType.GTD: "gtd",
}

Identifier = tuple[InstanceType, str]


def instance_identifier(instance: BriefOrderItemInstance) -> Identifier | None:
    """The one identifier the instance carries and its kind, or ``None`` if it has none or
    several (R-030)."""
    cis, uin, rnpt, gtd = instance.cis, instance.uin, instance.rnpt, instance.gtd
    if cis is not None:
        return (InstanceType.CIS, cis) if uin is None and rnpt is None and gtd is None else None
    if uin is not None:
        return (InstanceType.UIN, uin) if rnpt is None and gtd is None else None
    if rnpt is not None:
        return (InstanceType.RNPT, rnpt) if gtd is None else None
    return None if gtd is None else (InstanceType.GTD, gtd)


def parse_instance(
    instance: BriefOrderItemInstance,
    identifier: Identifier | None,
    field: str,
    *,
    strict_widths: bool,
    strict_country_code: bool,
) -> MarkingCode | list[ErrorDetail]:
    """One unit's code, or every violation in it (R-030..R-033, C-09, C-10); ``identifier`` is
    ``instance_identifier(instance)``."""
    if identifier is None:
        return [ErrorDetail(ErrorCode.BAD_REQUEST, Messages.ONE_IDENTIFIER.format(field=field))]
    kind, value = identifier
    error: ErrorDetail | None = None
    cis: str | None = None

    if kind is InstanceType.CIS:
        cis = short_cis(value)
        if cis is None:
            error = ErrorDetail(
                ErrorCode.INVALID_CIS,
                Messages.INVALID_CIS.format(
                    field=f"{field}.cis",
                    with_tail=CIS_WITH_CRYPTO_TAIL_TEXT,
                    without_tail=CIS_WITHOUT_CRYPTO_TAIL_TEXT,
                ),
            )
    elif kind is InstanceType.UIN:
        if not is_uin(value):
            error = ErrorDetail(
                ErrorCode.INVALID_UIN,
                Messages.INVALID_UIN.format(field=f"{field}.uin", value=value),
            )
    elif kind is InstanceType.RNPT:
        if not is_rnpt(value, strict_widths=strict_widths):
            error = _formatErrorDetail(
                ErrorCode.INVALID_RNPT, f"{field}.rnpt", value, strict_widths
            )
    elif not is_gtd(value, strict_widths=strict_widths):
        error = _formatErrorDetail(ErrorCode.INVALID_GTD, f"{field}.gtd", value, strict_widths)

    country_code = instance.country_code
    country_error = _country_code_error(
        country_code, kind, field, strict_country_code=strict_country_code
    )
    if error is None and country_error is None:
        # A CIS never gets here with a country code: it is an error (_country_code_error).
        return MarkingCode(kind, value, cis, country_code)
    return [each for each in (error, country_error) if each is not None]


def _country_code_error(
    country_code: str | None, kind: InstanceType, field: str, *, strict_country_code: bool
) -> ErrorDetail | None:
    if country_code is None:
        if strict_country_code and kind is InstanceType.GTD:
            return ErrorDetail(
                ErrorCode.COUNTRY_CODE_AND_GTD_ARE_REQUIRED_VALIDATION_ERROR,
                Messages.COUNTRY_CODE_REQUIRED.format(field=field),
            )
        return None
    if kind not in _COUNTRY_ALLOWED_WITH:
        return ErrorDetail(
            ErrorCode.BAD_REQUEST, Messages.COUNTRY_CODE_NOT_ALLOWED.format(field=field)
        )
    if not is_country_code(country_code):
        return ErrorDetail(
            ErrorCode.INVALID_COUNTRY_CODE,
            Messages.INVALID_COUNTRY_CODE.format(value=country_code),
        )
    return None


def _formatErrorDetail(code: ErrorCode, field: str, value: str, strict_widths: bool) -> ErrorDetail:
    if strict_widths:
        pattern = (
            limits.RNPT_STRICT if code is ErrorCode.INVALID_RNPT else limits.GTD_STRICT
        ).pattern
        return ErrorDetail(
            code, Messages.INVALID_PATTERN.format(field=field, value=value, pattern=pattern)
        )
    template = Messages.INVALID_RNPT if code is ErrorCode.INVALID_RNPT else Messages.INVALID_GTD
    return ErrorDetail(code, template.format(field=field, value=value))
