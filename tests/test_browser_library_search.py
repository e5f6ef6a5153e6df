"""Library search in both languages in a real browser: "KV 缓存" finds the resource titled "KV Cache".
Headless chromium, the real app over the real corpus with hash embeddings and a fake model."""

from __future__ import annotations

import pytest
from test_browser_lang import launch_app, open_page

pytestmark = pytest.mark.browser


def test_a_chinese_query_finds_the_resource_titled_in_english(browser, tmp_path):
    for url, _c in launch_app(tmp_path, login=False):
        context, page = open_page(browser, url)
        page.click("#tb-tab-library-button")
        page.wait_for_selector("#tb-library tbody tr")
        page.fill("#tb-lib-search input", "KV 缓存")
        page.locator("#tb-library tbody tr", has_text="KV Cache").first.wait_for()
        page.fill("#tb-lib-search input", "KV 缓存 完全无关的词")
        page.locator("#tb-library .tb-empty").wait_for()  # every word must match: no false friends
        context.close()
