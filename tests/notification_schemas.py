"""Check a notification body against the Market's notification spec (``notification-api.yaml``).

The body is checked against the DTO that the spec's discriminator names for its
``notificationType``, so a body that would also fit another type's schema is still held to its
own. The spec lives beside the repository; without it the calling test is skipped.
"""

from __future__ import annotations

import functools
from typing import Any

from tests.reference import REFERENCE_DIR, require_reference

NOTIFICATION_SPEC = REFERENCE_DIR / "openapi" / "notification-api.yaml"
REQUEST_SCHEMA = "SendNotificationRequest"


@functools.cache
def _components() -> dict[str, Any]:
    import yaml

    with require_reference(NOTIFICATION_SPEC).open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    components: dict[str, Any] = spec["components"]
    return components


def dto_of(notification_type: str) -> str:
    """The schema name the spec's discriminator gives for a notification type."""
    mapping = _components()["schemas"][REQUEST_SCHEMA]["discriminator"]["mapping"]
    target: str = mapping[notification_type]  # "./PingNotificationDTO.yaml"
    return target.removeprefix("./").removesuffix(".yaml")


def assert_valid_notification(body: dict[str, Any]) -> None:
    """Fail with every violation when ``body`` is not a notification of its declared type."""
    import jsonschema

    components = _components()
    schema = {"$ref": f"#/components/schemas/{dto_of(body['notificationType'])}"}
    validator = jsonschema.Draft7Validator(
        {**schema, "components": components}, format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
        raise AssertionError(f"not a valid {body['notificationType']}:\n  " + "\n  ".join(lines))
