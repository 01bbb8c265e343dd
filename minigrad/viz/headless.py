"""A headless Chromium for checking and photographing the explorer page (tests, docs/pictures.py).

Uses the system's Chromium and its chromedriver (Debian/Ubuntu: ``apt-get install chromium
chromium-driver``; ``.ci/install-browser`` does it) driven by Selenium, with networking closed:
every host name resolves to nothing, and the page's network requests are read back from the
browser's own log so that a test can assert there were none.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile

__all__ = ["find_browser", "missing_reason", "Browser"]

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Flags that make Chromium start quickly and quietly in a container, talking to no one.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1400,900"]


def find_browser():
    """(chromium, chromedriver) paths, or None where either is missing."""
    browser = next((p for p in map(shutil.which, _BROWSERS) if p), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def missing_reason():
    """Why no browser test can run here (None when one can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if find_browser() is None:
        return ("no Chromium with chromedriver on PATH: install them with `apt-get install chromium "
                "chromium-driver` (.ci/install-browser does it)")
    return None


class Browser:
    """``with Browser() as b: b.open(path); b.driver.find_element(...)``; ``b.requests()`` lists
    the network requests the page made (URLs other than file: and data:)."""

    def __init__(self, width: int = 1400, height: int = 900):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        found = find_browser()
        if found is None:
            raise RuntimeError(missing_reason())
        browser, driver = found
        self._profile = tempfile.mkdtemp(prefix="minigrad-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--window-size={width},{height}")
        options.add_argument(f"--user-data-dir={self._profile}")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(driver), options=options)
        self.driver.set_page_load_timeout(60)

    def open(self, path):
        self.driver.get_log("performance")   # drop the start-up page's entries: only the page's own count
        self.driver.get("file://" + os.path.abspath(path))

    def requests(self) -> list:
        """URLs of the requests the page sent since it was opened (or the last call) that could reach a
        network: anything but file:, data:, blob: and about: (the browser's own chrome: pages excluded)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                url = message["params"]["request"]["url"]
                if not url.startswith(("file:", "data:", "blob:", "about:", "chrome:")):
                    urls.append(url)
        return urls

    def console_errors(self) -> list:
        return [e["message"] for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def close(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
