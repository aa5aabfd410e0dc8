"""The HTML digest in a real browser: charts have a size, Chinese renders as glyphs.

Headless Chromium from the Debian packages, driven by Selenium with explicit paths
so selenium-manager never downloads a browser. The full-page screenshot is kept in
artifacts/test/digest.png for a human to look at.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from digest_sample import ACTIVATION, LOGISTICS, PACKAGING, REFUND, sample_digest

from ticketminer.digest.html import render_html

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "test"


GLYPH_PIXELS = """
const family = getComputedStyle(arguments[0]).fontFamily;
return arguments[1].map(ch => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 40;
  const g = canvas.getContext("2d");
  g.font = "32px " + family;
  g.fillText(ch, 2, 34);
  return Array.from(g.getImageData(0, 0, 40, 40).data.filter((_, i) => i % 4 === 3));
});
"""


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed; `make browser` installs them"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Iterator[object]:
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1200,2400",
    ):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(10)
    try:
        yield browser
    finally:
        browser.quit()


def _screenshot(driver, name: str) -> Path:
    """The whole page, kept in artifacts/test/ for a human to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / name
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1200, min(max(int(height) + 40, 800), 12000))
    time.sleep(0.2)  # let the resize re-layout before the capture
    driver.save_screenshot(str(shot))
    return shot


def _size(element) -> tuple[float, float]:
    rect = element.rect
    return rect["width"], rect["height"]


def test_digest_renders_in_chromium(driver, tmp_path) -> None:
    from selenium.webdriver.common.by import By

    digest = sample_digest()
    page = tmp_path / "digest.html"
    page.write_text(render_html(digest, "https://desk.example/t/{external_id}"), "utf-8")
    driver.get(page.as_uri())

    volume = driver.find_elements(By.CSS_SELECTOR, "svg.chart-volume")
    assert volume and all(w > 300 and h > 100 for w, h in map(_size, volume))
    sparklines = driver.find_elements(By.CSS_SELECTOR, "svg.sparkline")
    assert len(sparklines) == len(digest.top_issues)
    assert all(w > 0 and h > 0 for w, h in map(_size, sparklines))
    timeline = driver.find_elements(By.CSS_SELECTOR, "svg.chart-timeline")
    assert len(timeline) == 1 and _size(timeline[0])[0] > 300
    tiles = driver.find_elements(By.CSS_SELECTOR, ".kpi-tile")
    assert len(tiles) == len(digest.kpis) and all(_size(t)[0] > 100 for t in tiles)
    assert driver.find_elements(By.CSS_SELECTOR, ".kpi-tile.bad")
    assert driver.find_elements(By.CSS_SELECTOR, ".kpi-tile.good")

    text = driver.find_element(By.TAG_NAME, "body").text
    assert LOGISTICS in text and REFUND in text
    assert "No tickets were created" not in text

    # A CJK label is laid out with a width, and in real glyphs: without a CJK font
    # Chromium draws the same .notdef box for every character, so two different
    # characters drawn in the label's font must give different pixels.
    cjk = driver.find_element(By.CSS_SELECTOR, "#top-issues .issue-label [lang=zh]")
    assert cjk.text == LOGISTICS
    assert _size(cjk)[0] > 0
    glyphs = driver.execute_script(GLYPH_PIXELS, cjk, ["物", "流"])
    assert glyphs[0] != glyphs[1] and all(any(g) for g in glyphs), "CJK renders as tofu"

    # The three customer sections: laid out, with one pair of rate bars per ranked row
    # (the ranked value's bar longer than its reference), and Chinese labels in glyphs.
    customers = digest.customers
    for section, ranked in (
        ("new-customers", customers.new_customer_issues),
        ("praise", customers.praise),
        ("minefields", customers.minefields),
    ):
        box = driver.find_element(By.ID, section)
        assert _size(box)[0] > 600 and _size(box)[1] > 80
        bars = box.find_elements(By.CSS_SELECTOR, "svg.rate-bars")
        assert len(bars) == len(ranked) and all(w > 50 and h > 10 for w, h in map(_size, bars))
        rate, reference = (_size(r)[0] for r in bars[0].find_elements(By.TAG_NAME, "rect"))
        assert rate > reference > 0
    assert ACTIVATION in driver.find_element(By.ID, "new-customers").text
    praise = driver.find_element(By.ID, "praise")
    assert PACKAGING in praise.text and "礼盒" in praise.text and "packaging" in praise.text
    label = praise.find_element(By.CSS_SELECTOR, ".issue-label [lang=zh]")
    glyphs = driver.execute_script(GLYPH_PIXELS, label, ["包", "装"])
    assert glyphs[0] != glyphs[1] and all(any(g) for g in glyphs), "CJK renders as tofu"
    assert "ran into trouble" in driver.find_element(By.ID, "minefields").text

    # No script ran and nothing was fetched: the page is one file.
    assert driver.execute_script("return document.scripts.length") == 0
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources == []

    assert _screenshot(driver, "digest.png").stat().st_size > 10_000


def test_empty_digest_renders_in_chromium(driver, tmp_path) -> None:
    from selenium.webdriver.common.by import By

    digest = sample_digest(empty=True)
    page = tmp_path / "empty.html"
    page.write_text(render_html(digest), "utf-8")
    driver.get(page.as_uri())
    text = driver.find_element(By.TAG_NAME, "body").text
    assert "No tickets were created in this week." in text
    assert len(driver.find_elements(By.CSS_SELECTOR, ".kpi-tile")) == len(digest.kpis)
    assert not driver.find_elements(By.CSS_SELECTOR, "svg.sparkline")


def test_a_real_digest_of_the_storm_week_renders_in_chromium(
    driver, tmp_path, default_history
) -> None:
    """The digest the service builds from the synthetic history, not a hand-made one:
    the storm is on the timeline with its cause, in Chinese and English labels."""
    from conftest import history_settings
    from selenium.webdriver.common.by import By

    from ticketminer.app import App

    db, result = default_history
    storm = next(i for i in result.truth if i.id == "shipping-storm")
    local = storm.start.astimezone(ZoneInfo("Asia/Shanghai"))
    week = "{}-W{:02d}".format(*local.isocalendar()[:2])
    app = App.open(history_settings(db))
    try:
        rendered = app.digest.rendered("default", week, "Asia/Shanghai")
    finally:
        app.close()
    page = tmp_path / "storm.html"
    page.write_text(rendered.html, "utf-8")
    driver.get(page.as_uri())

    assert driver.find_elements(By.CSS_SELECTOR, "svg.chart-volume")
    assert len(driver.find_elements(By.CSS_SELECTOR, "svg.sparkline")) == 10
    timeline = driver.find_element(By.CSS_SELECTOR, "svg.chart-timeline")
    assert _size(timeline)[0] > 300
    labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#top-issues .issue-label")]
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in labels)
    # Issues in both languages are labelled in both ("退款一直没到 / when will i get my refund").
    assert any(any(ch.isascii() and ch.isalpha() for ch in label) for label in labels)
    text = driver.find_element(By.TAG_NAME, "body").text
    assert "carrier=SF ∧ region=华南" in text

    assert _screenshot(driver, "digest-synth.png").stat().st_size > 10_000
