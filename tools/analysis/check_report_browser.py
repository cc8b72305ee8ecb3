"""Open an HTML report in headless Chromium and check it.

    python tools/analysis/check_report_browser.py report.html \
        [--video NAME] [--screenshot page.png] [--expect-map 0.50=41.23 ...]

Loads the file (file://, no server), fails on any SEVERE console entry,
reads the mAP table and, with ``--expect-map``, compares its cells; opens
one video page (the first, or ``--video``) and checks its figure loaded;
``--screenshot`` saves that page. Prints a JSON summary. Needs Chromium,
chromedriver and selenium (requirements/tests.txt); exit 2 when they are
missing, 1 when a check fails.
"""
import argparse
import json
import os.path as osp
import shutil
import sys

# Where distributions put Chromium and its driver.
CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome')
DRIVER_NAMES = ('chromedriver', )


def find_browser():
    """(chromium, chromedriver) paths, or None when one is missing."""
    browser = next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    driver = next(filter(None, map(shutil.which, DRIVER_NAMES)), None)
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None
    return (browser, driver) if browser and driver else None


def open_browser(browser: str, driver: str, width=1300, height=1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu',
                '--disable-dev-shm-usage', f'--window-size={width},{height}'):
        opts.add_argument(arg)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    return webdriver.Chrome(service=Service(driver), options=opts)


def table_cells(drv, table_id: str):
    """Rows of a table as lists of cell texts (header row first)."""
    from selenium.webdriver.common.by import By
    table = drv.find_element(By.ID, table_id)
    return [[c.text for c in row.find_elements(By.XPATH, './th|./td')]
            for row in table.find_elements(By.TAG_NAME, 'tr')]


def severe_logs(drv):
    return [e for e in drv.get_log('browser') if e.get('level') == 'SEVERE']


def check_report(path: str, video=None, screenshot=None, browser=None):
    """Load ``path``, read its tables, open a video page; returns a dict
    (``map_table``, ``class_ap_table``, ``video``, ``figure_width``,
    ``errors``: SEVERE console entries)."""
    import time

    from selenium.webdriver.common.by import By
    browser = browser or find_browser()
    if browser is None:
        raise RuntimeError('Chromium, chromedriver or selenium is missing')
    drv = open_browser(*browser)
    try:
        url = 'file://' + osp.abspath(path)
        drv.get(url + '#summary')
        out = dict(map_table=table_cells(drv, 'map-table'),
                   class_ap_table=table_cells(drv, 'class-ap-table'))
        drv.get(url + '#videos')
        links = drv.find_elements(By.CSS_SELECTOR, '#video-list a')
        out['num_videos_listed'] = len(links)
        if video is None and links:
            video = links[0].text
        out['video'] = video
        for link in links:
            if link.text == video:
                link.click()  # the page the user reaches by clicking
                break
        page = drv.find_element(By.ID, 'video-page')
        out['video_heading'] = page.find_element(By.TAG_NAME, 'h2').text
        imgs = page.find_elements(By.CSS_SELECTOR, 'img.video')
        deadline = time.time() + 5
        while imgs and time.time() < deadline and not drv.execute_script(
                'return arguments[0].complete', imgs[0]):
            time.sleep(0.05)
        out['figure_width'] = drv.execute_script(
            'return arguments[0].naturalWidth', imgs[0]) if imgs else 0
        out['video_gt_table'] = table_cells(drv, 'video-gt')
        if screenshot:
            height = drv.execute_script(
                'return document.body.scrollHeight')
            drv.set_window_size(1300, min(max(height + 40, 800), 2600))
            drv.execute_script('window.scrollTo(0, 0)')
            drv.save_screenshot(screenshot)
        out['errors'] = severe_logs(drv)
        return out
    finally:
        drv.quit()


def _expectations(items):
    out = {}
    for item in items or []:
        key, _, value = item.partition('=')
        out[key] = value
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('report')
    parser.add_argument('--video', help='the video page to open')
    parser.add_argument('--screenshot', help='PNG of that video page')
    parser.add_argument(
        '--expect-map', nargs='+', metavar='TIOU=VALUE',
        help='mAP cells the report must show, e.g. 0.50=41.23 AVG=38.00')
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print('skip: Chromium, chromedriver or selenium not installed',
              file=sys.stderr)
        return 2
    result = check_report(args.report, args.video, args.screenshot, browser)
    head, first = result['map_table'][0], result['map_table'][1]
    shown = dict(zip(head[1:], first[1:]))
    failures = [f'console: {e["message"]}' for e in result['errors']]
    for key, value in _expectations(args.expect_map).items():
        if shown.get(key) != value:
            failures.append(f'mAP {key}: report shows {shown.get(key)}, '
                            f'expected {value}')
    if not result['figure_width']:
        failures.append(f'video {result["video"]}: no figure loaded')
    print(json.dumps(dict(result, failures=failures), indent=1))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
