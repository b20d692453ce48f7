"""Take a screenshot of a running Runboard page in headless Chromium.

python scripts/screenshot.py http://127.0.0.1:8050/ shot.png [--width 1440 --height 900]
"""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--wait-for", default="#runs-table .ag-row", help="CSS selector to wait for")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        messages: list[str] = []
        page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        page.goto(args.url)
        page.wait_for_selector(args.wait_for, timeout=20000)
        page.wait_for_timeout(800)
        page.screenshot(path=args.out, full_page=False)
        browser.close()
    for line in messages:
        print(line)


if __name__ == "__main__":
    main()
