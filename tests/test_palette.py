"""The one language palette: distinct colours for every language the benchmarks know, fixed per language."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from xlfact.core.palette import (
    AGGREGATE_STYLE,
    LANGUAGE_COLORS,
    language_color,
    language_colors,
    language_marker,
    legend_outside,
    line_style,
)

KLAR = "ar ca el en es fa fr he hu ja ko nl ru tr uk vi zh".split()
POLYFACT = "ar bn de en es fr id ja pt ru sw zh".split()
CLIKA = "ar de en fr he it ja pl ru zh".split()


def lab(hex_colour: str) -> np.ndarray:
    """CIELAB (D65) of an sRGB hex colour."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_every_benchmark_language_has_its_own_clearly_distinct_colour():
    for lang in {*KLAR, *POLYFACT, *CLIKA}:
        assert lang in LANGUAGE_COLORS, lang
    colours = list(LANGUAGE_COLORS.values())
    assert len(set(colours)) == len(colours) >= 17
    worst = min(float(np.linalg.norm(lab(a) - lab(b))) for a, b in itertools.combinations(colours, 2))
    assert worst > 30, worst  # matplotlib's default cycle repeats after 10; here 24 stay far apart
    assert all(float(np.linalg.norm(lab(c) - lab("#ffffff"))) > 20 for c in colours)  # visible on white


def test_a_language_keeps_its_colour_whatever_else_is_in_the_figure():
    assert language_colors(["zh", "bn"])["zh"] == language_colors(KLAR)["zh"] == language_color("zh")
    assert language_color("bn") != language_color("zh")  # the two the default cycle gave one colour
    assert language_color("pt_BR") == language_color("pt") and language_color("ZH") == language_color("zh")
    assert language_marker("de") == language_marker("de")
    unknown = language_color("qqx")
    assert unknown not in LANGUAGE_COLORS.values() and language_color("qqx") == unknown


def test_aggregates_are_styled_apart_from_languages():
    assert line_style("macro average") == AGGREGATE_STYLE
    assert line_style("de")["color"] == LANGUAGE_COLORS["de"]


def test_legend_is_placed_outside_the_axes():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    for lang in POLYFACT:
        ax.plot([0, 1], [0.2, 0.8], label=lang, **line_style(lang))
    legend = legend_outside(ax)
    fig.canvas.draw()
    box = legend.get_window_extent()
    assert box.x0 >= ax.get_window_extent().x1  # entirely to the right of the data area
    plt.close(fig)
