"""Log in through the real form and screenshot pages: `python scripts/screenshot.py URL... --user admin`.

Uses Debian's Chromium (no browser download). For looking at pages while developing.
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="Kefu-demo-2026!")
    parser.add_argument("--out", default="walk-out/shots")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--lang", default="zh-CN")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": 900}, locale=args.lang)
        page.on("console", lambda m: m.type == "error" and print("console:", m.text))
        if args.user:
            page.goto(args.base + "/accounts/login/")
            page.fill("input[name=username]", args.user)
            page.fill("input[name=password]", args.password)
            page.click("button[type=submit]")
        for path in args.paths:
            page.goto(args.base + path)
            name = path.strip("/").replace("/", "_").replace("?", "_") or "root"
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(page.url, "->", out / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
