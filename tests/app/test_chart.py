"""The pure-Python PNG chart, decoded back: size, colours, and bars where the counts say."""

from __future__ import annotations

import struct
import zlib
from datetime import date, timedelta

import pytest

from bot.app.chart import (
    ACTION_COLOURS,
    ANSWERED_COLOUR,
    BANDS_BOX,
    GLYPHS,
    HEIGHT,
    NOT_HELPFUL_COLOUR,
    TREND_BOX,
    WIDTH,
    BandBar,
    Canvas,
    encode_png,
    nice_max,
    stats_chart,
)

COLOUR = dict(ACTION_COLOURS)


class Image:
    """A decoded 8-bit RGB PNG."""

    def __init__(self, width: int, height: int, rows: list[bytes]) -> None:
        self.width, self.height, self.rows = width, height, rows

    def at(self, x: int, y: int) -> tuple[int, int, int]:
        r, g, b = self.rows[y][3 * x : 3 * x + 3]
        return (r, g, b)

    def column(self, x: int, y0: int, y1: int, colour: tuple[int, int, int]) -> list[int]:
        """The rows y0 <= y < y1 where column x has `colour`."""
        return [y for y in range(y0, y1) if self.at(x, y) == colour]

    def columns_with(self, colour: tuple[int, int, int], box: tuple[int, int, int, int]) -> list[int]:
        x0, y0, x1, y1 = box
        return [x for x in range(x0, x1) if any(self.at(x, y) == colour for y in range(y0, y1))]


def decode_png(data: bytes) -> Image:
    """Parse the chunks (checking each CRC), inflate IDAT and undo the filters this writer uses (none)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour_type, interlace) == (8, 2, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = 3 * width
    assert len(raw) == height * (stride + 1)
    rows = []
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        assert line[0] == 0  # filter type None
        rows.append(line[1:])
    return Image(width, height, rows)


def runs(xs: list[int]) -> list[list[int]]:
    """Group sorted integers into runs of consecutive values."""
    groups: list[list[int]] = []
    for x in xs:
        if groups and x == groups[-1][-1] + 1:
            groups[-1].append(x)
        else:
            groups.append([x])
    return groups


def test_canvas_round_trip_and_clipping() -> None:
    canvas = Canvas(7, 5)
    canvas.rect(2, 1, 4, 3, (255, 0, 0))
    canvas.rect(5, 3, 99, 99, (0, 0, 255))  # clipped to the canvas
    image = decode_png(canvas.png())
    assert (image.width, image.height) == (7, 5)
    assert image.at(2, 1) == image.at(3, 2) == (255, 0, 0)
    assert image.at(4, 1) == image.at(2, 3) == (255, 255, 255)
    assert image.at(6, 4) == (0, 0, 255)


def test_encode_png_checks_the_pixel_count() -> None:
    with pytest.raises(ValueError, match="expected 12 bytes of pixels, got 3"):
        encode_png(2, 2, b"abc")


def test_the_font_has_5x7_glyphs_for_the_chart_labels() -> None:
    assert all(len(rows) == 7 and all(r < 32 for r in rows) for rows in GLYPHS.values())
    labels = "DECISIONS PER DAY (UTC) ANSWERED % OF SEEN NOT HELPFUL 0.5-0.6 06-10 QWXJKZ"
    assert set(labels) <= set(GLYPHS)
    canvas = Canvas(40, 10)
    assert canvas.text(0, 0, "1", scale=1) == 5
    image = decode_png(canvas.png())
    assert [x for x in range(5) if image.at(x, 0) != (255, 255, 255)] == [2]  # the top of a "1"


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 3), (5, 5), (7, 8), (9, 10), (11, 20), (21, 30), (61, 80), (801, 1000)]
)
def test_nice_max(value: int, top: int) -> None:
    assert nice_max(value) == top


def test_daily_bars_are_stacked_where_the_counts_say() -> None:
    start = date(2026, 6, 1)
    days = [
        (start, {"answer": 4, "remind": 0, "silent": 2}),
        (start + timedelta(days=1), {"answer": 2}),
        (start + timedelta(days=2), {}),
    ]
    image = decode_png(stats_chart(days, []))
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    x0, y0, x1, y1 = TREND_BOX
    plot = y1 - y0  # axis 0..nice_max(6) = 6 drawn over these pixels
    answer_bars = runs(image.columns_with(COLOUR["answer"], TREND_BOX))
    assert len(answer_bars) == 2  # the empty day has no bar
    first, second = (bar[len(bar) // 2] for bar in answer_bars)
    assert first < second and second - first == (x1 - x0) // 3  # one slot per day, in order
    assert image.column(first, y0, y1, COLOUR["answer"]) == list(range(y1 - round(4 * plot / 6), y1))
    assert image.column(second, y0, y1, COLOUR["answer"]) == list(range(y1 - round(2 * plot / 6), y1))
    assert image.column(first, y0, y1, COLOUR["silent"]) == list(range(y1 - plot, y1 - round(4 * plot / 6)))
    assert image.column(second, y0, y1, COLOUR["silent"]) == []
    assert image.columns_with(COLOUR["remind"], TREND_BOX) == []
    third_slot = (x0 + 2 * (x1 - x0) // 3 + 4, y0, x1, y1)
    assert all(not image.columns_with(colour, third_slot) for _, colour in ACTION_COLOURS)


def test_band_bars_are_percentages() -> None:
    bands = [BandBar("0.5-0.6", 50.0, None), BandBar("0.9-1.0", 100.0, 25.0)]
    image = decode_png(stats_chart([], bands))
    _, y0, _, y1 = BANDS_BOX
    answered = runs(image.columns_with(ANSWERED_COLOUR, BANDS_BOX))
    not_helpful = runs(image.columns_with(NOT_HELPFUL_COLOUR, BANDS_BOX))
    assert len(answered) == 2 and len(not_helpful) == 1  # no "Not helpful" bar without answers
    assert len(image.column(answered[0][0], y0, y1, ANSWERED_COLOUR)) == 50
    assert len(image.column(answered[1][0], y0, y1, ANSWERED_COLOUR)) == 100
    assert len(image.column(not_helpful[0][0], y0, y1, NOT_HELPFUL_COLOUR)) == 25
    assert answered[1][-1] < not_helpful[0][0]  # side by side in the second band


def test_the_chart_is_deterministic_and_small() -> None:
    days = [(date(2026, 6, 1) + timedelta(days=i), {"answer": i, "silent": 30 - i}) for i in range(30)]
    bands = [BandBar("0.5-0.6", 0.0, None), BandBar("0.7-0.8", 80.0, 10.0)]
    png = stats_chart(days, bands)
    assert png == stats_chart(days, bands)
    assert len(png) < 50_000
    assert decode_png(stats_chart([], [])).width == WIDTH  # an empty period still draws its axes
