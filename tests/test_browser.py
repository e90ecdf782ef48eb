"""The HTML report and index opened in a real browser: Debian's headless Chromium driven by
Selenium through /usr/bin/chromedriver (no Selenium Manager, no download).

The module analyses three demo clips with the really trained model and writes their reports
and index with metadata records: a clip with a face throughout, a clip without a face (blank
cells), and a copy of a clip whose file name holds `<`, `&`, `#` and both quotes. Each page must
load without a console error, without any request other than file: and data: (the page itself,
its inline images), with every image decoded; clicking a heading of the index must reorder its
rows, and the odd name must read as text. A screenshot of each page goes to the test's tmp_path.

Without Chromium, chromedriver or Selenium the tests skip and say which is missing; in CI
(environment variable CI set, as .ci/run does) they fail instead.
"""

import base64
import json
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import main_output, make_record, write_jsonl

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ODD = "Ann & Bob's \"take\" <b>#2"  # no "/": a file name cannot hold one; "#" only works quoted in a link
ODD_QUESTION = "Why <i>you</i> & not 'them'?"
CLIPS = {"vid_0001": 1, "vid_0019": 19, ODD: 2}  # report name: demo clip number
LOCAL_SCHEMES = ("file", "data")


def _missing_program() -> str | None:
    """Why the browser cannot be started here, or None."""
    for program, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(program, os.X_OK):
            return f"{program} not found (Debian package {package}: apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -r requirements.txt)"
    return None


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


@pytest.fixture(scope="session")  # session: checked before the session's demo data and model are built
def chromium():
    """The browser's two programs, checked before anything is analysed: skips without them,
    fails in CI."""
    missing = _missing_program()
    if missing and _in_ci():
        pytest.fail(f"browser test cannot run in CI: {missing}", pytrace=False)
    if missing:
        pytest.skip(f"browser test skipped: {missing}")
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture(scope="module")
def reports(chromium, demo_dir, trained_model, tmp_path_factory):
    """(out folder, {name: summary}, {name: record}) of the three clips analysed with the model
    and written by write_reports with their metadata records."""
    from expressiveness.pipeline.results_folder import write_reports

    root = tmp_path_factory.mktemp("browser")
    videos = root / "videos"
    videos.mkdir()
    demo_records = {json.loads(line)["id"]: json.loads(line)
                    for line in (demo_dir / "metadata.jsonl").read_text().splitlines()}
    records = {}
    for name, number in CLIPS.items():
        shutil.copy(demo_dir / "videos" / f"vid_{number:04d}.mp4", videos / f"{name}.mp4")
        records[name] = demo_records[f"{number:04d}"] if name.startswith("vid_") else make_record(
            40, file_name=f"videos/{name}.mp4", question=ODD_QUESTION, facial_expression=-0.5)
    metadata = write_jsonl(root / "metadata.jsonl", records.values())
    out = root / "out"
    result = main_output("analyze", videos, "--out", out, "--model", trained_model.model_path, "--no-progress")
    assert result.returncode == 0, result.stderr[-2000:]
    write_reports(out, metadata)
    summaries = {name: json.loads((out / f"{name}_summary.json").read_text()) for name in CLIPS}
    return out, summaries, records


@pytest.fixture(scope="module")
def browser(chromium):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium[0])
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):  # --no-sandbox: CI runs as root
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(chromium[1])))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def drain(driver) -> tuple[list[str], list[str]]:
    """(SEVERE console messages, URLs of every network request) since the last drain."""
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return errors, urls


def open_page(driver, path: Path) -> list[str]:
    """Load path and check what the browser saw: no request but file: and data:, no console
    error, no element pointing at the web, every image decoded whole. Returns the request URLs."""
    drain(driver)
    driver.get(path.as_uri())
    errors, urls = drain(driver)
    assert any(unquote(url) == unquote(path.as_uri()) for url in urls), f"the log missed the page itself: {urls}"
    remote = [url[:80] for url in urls if urlsplit(url).scheme not in LOCAL_SCHEMES]
    assert remote == [], f"{path.name}: requests beyond the file {remote}"
    assert errors == [], f"{path.name}: console errors {errors}"
    pointers = driver.execute_script(
        "return Array.from(document.querySelectorAll('[src], link[href], a[href]'),"
        " e => e.getAttribute('src') || e.getAttribute('href'))")
    assert [pointer for pointer in pointers if pointer.lower().startswith(("http:", "https:", "//"))] == []
    broken = [alt for alt, width, unpainted in driver.execute_async_script(DECODE_IMAGES) if width == 0 or unpainted]
    assert broken == [], f"{path.name}: images not decoded whole: {broken}"
    return urls


# Each <img> as [alt, naturalWidth, pixels left transparent]: decode() must succeed, and as the
# charts (white background) and face thumbnails (JPEG) are opaque, a transparent pixel is one the
# decoder never reached (a truncated PNG still has its width from its header).
DECODE_IMAGES = """
var done = arguments[arguments.length - 1];
Promise.all(Array.from(document.images, function (image) {
  return image.decode().then(function () {
    var canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    var context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    var pixels = context.getImageData(0, 0, canvas.width, canvas.height).data, unpainted = 0;
    for (var alpha = 3; alpha < pixels.length; alpha += 4) { if (pixels[alpha] < 255) { unpainted++; } }
    return [image.alt, image.naturalWidth, unpainted];
  }, function () { return [image.alt, 0, 0]; });
})).then(done);
"""


def screenshot(driver, path: Path) -> Path:
    """The whole page (beyond the window's height) as a PNG."""
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    return path


def row_names(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#videos tbody tr'), r => r.cells[0].textContent.trim())")


def heading(driver, text: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, f"//table[@id='videos']//th[normalize-space()='{text}']")


def test_index_loads_alone_with_every_video(reports, browser, tmp_path):
    out, summaries, _ = reports
    urls = open_page(browser, out / "index.html")
    assert [unquote(url) for url in urls] == [unquote((out / "index.html").as_uri())]  # no image, nothing else
    assert sorted(row_names(browser)) == sorted(CLIPS)
    assert browser.execute_script("return document.querySelectorAll('#videos svg').length") == 2  # vid_0019: none
    screenshot(browser, tmp_path / "index.png")


@pytest.mark.parametrize("name", list(CLIPS), ids=["vid_0001", "vid_0019", "odd_name"])
def test_report_loads_alone_with_every_image_decoded(reports, browser, tmp_path, name):
    out, summaries, _ = reports
    urls = open_page(browser, out / f"{name}_report.html")
    images = browser.execute_script("return document.images.length")
    if summaries[name]["face_share"] == 0:
        assert images == 0
    else:  # four charts and at least one face, each read from its data: URI
        assert images >= 5 and len([url for url in urls if url.startswith("data:image/")]) == images
    screenshot(browser, tmp_path / f"report_{CLIPS[name]:04d}.png")


SORT_VALUES = {  # an index column: its value for one video (None: a blank cell, the clip without a face)
    "Expressivity": lambda name, summary, record: summary.get("expressivity_mean"),
    "Human rating": lambda name, summary, record: record["facial_expression"],
    "Participant": lambda name, summary, record: int(record["user_no"]),  # 1, 8, 40: another order as text
    "Video": lambda name, summary, record: name,
}


@pytest.mark.parametrize("column", list(SORT_VALUES))
def test_clicking_a_heading_sorts_the_index(reports, browser, column):
    """Ascending on the first click, descending on the second; numbers by value, text without
    regard to case; blank cells last both ways."""
    out, summaries, records = reports
    open_page(browser, out / "index.html")
    value = {name: SORT_VALUES[column](name, summaries[name], records[name]) for name in CLIPS}
    present = [name for name in CLIPS if value[name] is not None]
    blank = [name for name in CLIPS if value[name] is None]
    assert blank == (["vid_0019"] if column == "Expressivity" else [])
    key = (lambda name: value[name].casefold()) if isinstance(value[present[0]], str) else value.get
    ascending = sorted(present, key=key)
    assert len(set(map(key, present))) == len(present) >= 2  # distinct values: one right order
    for direction, expected in (("ascending", ascending + blank), ("descending", ascending[::-1] + blank)):
        heading(browser, column).click()
        assert heading(browser, column).get_attribute("aria-sort") == direction
        assert row_names(browser) == expected, f"{column} {direction}"
    assert drain(browser)[0] == []  # the script ran without an error


def test_the_timeline_column_does_not_sort(reports, browser):
    out, _, _ = reports
    open_page(browser, out / "index.html")
    before = row_names(browser)
    heading(browser, "Video").click()
    heading(browser, "Video").click()  # descending: not the order the index was written in
    assert row_names(browser) != before
    descending = row_names(browser)
    heading(browser, "Timeline").click()
    assert row_names(browser) == descending and heading(browser, "Timeline").get_attribute("aria-sort") is None
    assert heading(browser, "Video").get_attribute("aria-sort") == "descending"
    assert drain(browser)[0] == []


def test_an_odd_file_name_reads_as_text_in_the_index_and_its_report(reports, browser, tmp_path):
    from selenium.webdriver.common.by import By

    out, _, _ = reports
    open_page(browser, out / "index.html")
    row = next(row for row in browser.find_elements(By.CSS_SELECTOR, "#videos tbody tr")
               if row.find_elements(By.PARTIAL_LINK_TEXT, "Ann & Bob"))
    link = row.find_element(By.TAG_NAME, "a")
    assert link.text == ODD and link.find_elements(By.XPATH, "./*") == []
    question = row.find_element(By.CSS_SELECTOR, "td.question")
    assert question.get_attribute("textContent") == ODD_QUESTION and question.get_attribute("title") == ODD_QUESTION
    assert question.find_elements(By.XPATH, "./*") == []
    link.click()  # the quoted href opens the report it names
    opened = urlsplit(browser.current_url)  # "#" unquoted would start a fragment and cut the name
    assert (unquote(opened.path), opened.fragment) == (str(out / f"{ODD}_report.html"), "")
    assert drain(browser)[0] == []
    assert browser.title == f"Expressiveness report: {ODD}"
    title = browser.find_element(By.TAG_NAME, "h1")
    assert title.text == f"Expressiveness report: {ODD}" and title.find_elements(By.XPATH, "./*") == []
    facts = dict(zip(*(browser.execute_script(f"return Array.from(document.querySelectorAll('{tag}'),"
                                              " e => e.textContent)") for tag in ("dt", "dd"))))
    assert facts["File"] == f"{ODD}.mp4" and facts["Question"] == ODD_QUESTION
    assert browser.execute_script("return document.querySelectorAll('main i, h1 b').length") == 0
    screenshot(browser, tmp_path / "odd_report.png")
