"""The built leaderboard page in a real browser: headless Chromium (Debian's ``chromium`` + ``chromium-driver``,
installed by ``make browser``) driven by selenium. Skipped where Chromium or selenium is unavailable."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from xlfact.core.runs import load_runs
from xlfact.leaderboard.site import write_site
from xlfact.leaderboard.table import build_table
from xlfact.tasks.evaluate import evaluate_to_folder, make_task_manager
from xlfact.training.tiny_models import build_tiny_llama

pytestmark = pytest.mark.slow
HOSTILE = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# No network: every request the page might make goes to a proxy that does not exist, so a page that needed a CDN
# (a chart library, a font) would show no picture. The page's own CSP (default-src 'none') forbids it as well.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1280,800",
         "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>")


@pytest.fixture
def driver(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e .[dev])")
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("chromium / chromedriver not installed (make browser: apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    browser.set_window_size(1280, 800)
    yield browser
    browser.quit()


def runs_with_known_accuracy(root: Path, data_dir: Path) -> list[Path]:
    """One real lm-eval run, copied three times with records rewritten so copy k answers the first k facts of every
    language right (hashes untouched), the last copy under a hostile model name."""
    rows = [json.loads(x) for f in sorted(data_dir.glob("*/test.jsonl")) for x in f.read_text().splitlines()]
    model = build_tiny_llama(root / "model", [f"Question: {r['question']}\nAnswer: {r['answer_text']}" for r in rows])
    tasks = ["polyfact_en", "polyfact_de"]
    manager = make_task_manager(tasks, metadata={"data_dir": str(data_dir), "pretrained": str(model)},
                                include_defaults=False)
    real = evaluate_to_folder(root / "real", model="hf", model_args=f"pretrained={model}", tasks=tasks,
                              task_manager=manager, batch_size=16, device="cpu")
    folders = []
    for k, name in ((1, "org/model-one"), (5, "org/model-five"), (3, HOSTILE)):
        folder = root / f"copy{k}" / "model"
        shutil.copytree(real, folder)
        results = next(folder.glob("results_*.json"))
        data = json.loads(results.read_text())
        data["model_name"] = name
        results.write_text(json.dumps(data))
        for file in folder.glob("samples_*.jsonl"):
            samples = [json.loads(line) for line in file.read_text().splitlines()]
            for sample in samples:
                record = sample["total_consistency"]
                right = sample["doc_id"] < k
                record["scores"] = [1.0 if (slot == record["gold"]) == right else 0.0 for slot in range(4)]
                record["correct"] = right
                sample["acc"] = float(right)
            file.write_text("".join(json.dumps(s) + "\n" for s in samples))
        folders.append(folder)
    return folders


def test_sorting_works_and_the_hostile_name_is_inert(driver, tmp_path, polyfact_fixture_dir):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    table = build_table(load_runs(runs_with_known_accuracy(tmp_path, polyfact_fixture_dir)), n_resamples=50,
                        progress=False)
    write_site(table, tmp_path / "site")
    driver.get((tmp_path / "site" / "index.html").resolve().as_uri())

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - touching the alert is the check
    assert driver.execute_script("return document.querySelectorAll('script').length") == 1
    overview = driver.find_element(By.ID, "overview-table")

    def names() -> list[str]:
        return [cell.text.strip() for cell in overview.find_elements(By.CSS_SELECTOR, "tbody tr td.model-name a")]

    assert names() == ["org/model-five", HOSTILE, "org/model-one"]  # ranked by PolyFact average
    headers = overview.find_elements(By.CSS_SELECTOR, "thead th")
    header = next(th for th in headers if th.text.startswith("polyfact avg"))
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert names() == ["org/model-one", HOSTILE, "org/model-five"]
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert names() == ["org/model-five", HOSTILE, "org/model-one"]
    model_header = next(th for th in headers if th.text.startswith("model"))
    model_header.click()
    assert names() == sorted(names())

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    # 1280x800: the overview fits without a horizontal scrollbar; its heat map is drawn (no network needed)
    assert driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_heat_map_on_screen(driver, tmp_path / "overview.png")
    driver.find_element(By.LINK_TEXT, "polyfact").click()  # the benchmark's own page
    assert driver.title.startswith("polyfact")
    assert driver.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_heat_map_on_screen(driver, tmp_path / "benchmark.png")
    detail = driver.find_element(By.ID, "per-language")
    assert not detail.get_attribute("open")
    detail.find_element(By.TAG_NAME, "summary").click()  # per-language detail: one click away
    assert detail.get_attribute("open") and "de" in detail.text and "en" in detail.text
    driver.find_element(By.LINK_TEXT, HOSTILE).click()  # the hostile model's own page
    assert HOSTILE in driver.find_element(By.TAG_NAME, "h1").text
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    assert driver.execute_script("return document.querySelectorAll('script').length") == 1
    assert driver.find_elements(By.CSS_SELECTOR, "figure img")  # its language x language matrix
    severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe  # no CSP violation, no failed load, on any page visited
    if os.environ.get("XLFACT_ARTIFACTS"):
        target = Path(os.environ["XLFACT_ARTIFACTS"])
        target.mkdir(parents=True, exist_ok=True)
        for name in ("overview.png", "benchmark.png"):
            shutil.copy(tmp_path / name, target / f"leaderboard-{name}")


def assert_heat_map_on_screen(driver, shot: Path) -> None:
    """The page's heat map is loaded, scrolled into the 1280x800 window, and its colours are in the screenshot."""
    from PIL import Image
    from selenium.webdriver.common.by import By

    image = driver.find_element(By.CSS_SELECTOR, "figure img[alt*='per language']")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 200", image)
    rect = driver.execute_script("var r = arguments[0].getBoundingClientRect(); "
                                 "return [r.left, r.top, r.right, r.bottom, window.innerHeight];", image)
    assert rect[1] >= 0 and rect[3] <= rect[4]  # wholly inside the window
    assert driver.save_screenshot(str(shot))
    ratio = driver.execute_script("return window.devicePixelRatio")
    crop = Image.open(shot).convert("RGB").crop(tuple(int(v * ratio) for v in rect[:4]))
    colours = {px for px in crop.getdata() if max(px) - min(px) > 60}  # saturated: the colour map, not text
    assert len(colours) > 20, len(colours)
