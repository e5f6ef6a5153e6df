"""The UI's look and page scripts, without a browser: muted text passes WCAG AA contrast, the phone
layout and the keyboard scripts are in the page the app serves."""

from __future__ import annotations

import re

from tutorbot.ui.page_js import HEAD
from tutorbot.ui.theme import CSS, FRAME_CSS

AA = 4.5
BACKGROUNDS = {"light": ("#ffffff", "#f9fafb"), "dark": ("#0b0f19", "#1f2937")}  # page and secondary fills


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def muted(mode: str) -> str:
    selector = r":root" if mode == "light" else r"\.dark"
    found = re.search(selector + r" \{ --tb-muted: (#[0-9a-f]{6}); \}", CSS)
    assert found, f"no muted colour for the {mode} theme"
    return found.group(1)


def test_muted_text_has_at_least_aa_contrast_on_light_and_dark_backgrounds():
    for mode, fills in BACKGROUNDS.items():
        for fill in fills:
            assert contrast(muted(mode), fill) >= AA, f"{mode}: {muted(mode)} on {fill}"


def test_no_text_is_muted_by_opacity_which_loses_contrast():
    assert "opacity" not in CSS


def test_the_page_carries_the_phone_layout_the_viewport_tag_and_the_keyboard_scripts():
    assert "@media (max-width: 640px)" in CSS and "@media (max-width: 640px)" in FRAME_CSS
    assert 'name="viewport"' in HEAD
    assert "ArrowRight" in HEAD and "tabIndex" in HEAD and "input[type=radio]" in HEAD
