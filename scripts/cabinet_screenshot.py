"""Take the README's picture of the cabinet: an order's timeline, from a real server and browser.

    python scripts/cabinet_screenshot.py [--output docs/images/cabinet-timeline.png]

Starts ``dbskit serve`` on a free port with a data dir of its own, creates a digital test order
in the cabinet, sends its keys through the Partner API with the demo key, moves the sandbox clock
past the e-mail delay in the cabinet and saves the order's page, its timeline showing the keys,
the e-mail and DELIVERED. Needs Playwright and Debian's Chromium (/usr/bin/chromium), as the
browser tests do; nothing is downloaded. Rerun it when the order page changes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import cabinet, partner_api  # noqa: E402
from tests.browser.harness import CHROMIUM, CHROMIUM_FLAGS, missing_browser_reason  # noqa: E402
from tests.e2e.server import running_server  # noqa: E402

OUTPUT = ROOT / "docs" / "images" / "cabinet-timeline.png"
SANDBOX_TOKEN = "screenshot-sandbox-token"  # noqa: S105 - a throwaway server's own token
DEMO_CAMPAIGN_ID = 21000001  # README, "A first call"
EMAIL_DELAY_HOURS = 1  # the server's --digital-delivery-delay-seconds, in the clock form's unit
KEYS = ["7QKX-2M4P-9WDR", "H3NB-8TYC-5LZE"]
SLIP = "<p>Redeem in the store's app: <b>Profile → Codes</b>.</p>"
# Wide enough for the timeline's lines to stay on one line each.
VIEWPORT = {"width": 1200, "height": 900}
MARGIN = 16  # pixels below the timeline


def take(output: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="dbskit-screenshot-") as temporary:
        data_dir = Path(temporary) / "data"
        data_dir.mkdir()
        (data_dir / "sandbox-token").write_text(SANDBOX_TOKEN + "\n")
        args = [
            "--data-dir",
            str(data_dir),
            "--digital-delivery-delay-seconds",
            str(EMAIL_DELAY_HOURS * 3600),
        ]
        with (
            running_server(args, ready_headers={"Sandbox-Token": SANDBOX_TOKEN}) as server,
            sync_playwright() as playwright,
        ):
            api_key = (data_dir / "demo-api-key").read_text().strip()
            context = playwright.chromium.launch_persistent_context(
                str(Path(temporary) / "profile"),
                executable_path=str(CHROMIUM),
                headless=True,
                args=list(CHROMIUM_FLAGS),
                viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]},
            )
            try:
                page = context.new_page()
                cabinet.sign_in(page, server.base_url, SANDBOX_TOKEN)
                order_id = cabinet.create_test_order(
                    page,
                    server.base_url,
                    cabinet.TestOrderForm(
                        DEMO_CAMPAIGN_ID, "game-1", "Space Game: Deluxe", count=len(KEYS)
                    ),
                )
                order = partner_api.get_order(server.base_url, api_key, DEMO_CAMPAIGN_ID, order_id)
                partner_api.deliver_keys(
                    server.base_url,
                    api_key,
                    DEMO_CAMPAIGN_ID,
                    order_id,
                    int(order["items"][0]["id"]),
                    KEYS,
                    slip=SLIP,
                )
                cabinet.advance_clock(page, hours=EMAIL_DELAY_HOURS)
                status = page.get_by_test_id("order-status").inner_text()
                if not status.startswith("DELIVERED"):
                    raise SystemExit(f"the order is {status}, not DELIVERED: no picture taken")
                # The picture: the cabinet's bar, the order and its story, down to the end of
                # the timeline (not the notice of the last form, nor the action forms below).
                page.goto(f"{server.base_url}/cabinet/orders/{order_id}")
                timeline = page.get_by_test_id("timeline").bounding_box()
                assert timeline is not None
                output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(
                    path=str(output),
                    full_page=True,
                    clip={
                        "x": 0,
                        "y": 0,
                        "width": VIEWPORT["width"],
                        "height": timeline["y"] + timeline["height"] + MARGIN,
                    },
                )
            finally:
                context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    options = parser.parse_args()
    reason = missing_browser_reason()
    if reason is not None:
        print(f"cannot take the picture: {reason}", file=sys.stderr)
        return 1
    take(options.output)
    print(options.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
