"""The `/stats` chart as a PNG, drawn in pure Python: no plotting library in the bot's install.

A pixel buffer, filled rectangles, a 5x7 bitmap font (upper case, digits, a few signs) and a PNG writer (zlib +
struct). The output depends only on the input: the same counts give the same pixels.

Top panel: decisions per UTC day, one stacked bar per day (answer, remind, route, escalate, silent from the bottom).
Bottom panel: per confidence band, the share of decisions in the band the bot answered, and the share of those answers
marked "Not helpful" (the live calibration check: the higher the band, the more answers and the fewer "Not helpful").
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

RGB = tuple[int, int, int]

WHITE: RGB = (255, 255, 255)
INK: RGB = (34, 34, 34)
GRID: RGB = (225, 225, 225)
# Okabe-Ito colours: told apart with the common colour-vision deficiencies.
ACTION_COLOURS: tuple[tuple[str, RGB], ...] = (
    ("answer", (0, 158, 115)),
    ("remind", (230, 159, 0)),
    ("route", (86, 180, 233)),
    ("escalate", (204, 121, 167)),
    ("silent", (187, 187, 187)),
)
ANSWERED_COLOUR: RGB = (0, 114, 178)
NOT_HELPFUL_COLOUR: RGB = (213, 94, 0)

WIDTH, HEIGHT = 800, 480
SCALE = 2  # font scale: 5x7 glyphs drawn as 10x14 pixels
TREND_BOX = (64, 66, 784, 236)  # plot area (x0, y0, x1, y1) of the daily bars; y1 is the zero line
BANDS_BOX = (64, 346, 784, 446)  # plot area of the band bars: 100 pixels = 100 %

# 5x7 glyphs: 7 rows of 5 bits (most significant bit on the left), as 14 hex digits.
_FONT = {
    "0": "0E11131519110E", "1": "040C040404040E", "2": "0E11010204081F", "3": "1F02040201110E",
    "4": "02060A121F0202", "5": "1F101E0101110E", "6": "0608101E11110E", "7": "1F010204080808",
    "8": "0E11110E11110E", "9": "0E11110F01020C", "A": "0E11111F111111", "B": "1E11111E11111E",
    "C": "0E11101010110E", "D": "1C12111111121C", "E": "1F10101E10101F", "F": "1F10101E101010",
    "G": "0E11101711110F", "H": "1111111F111111", "I": "0E04040404040E", "J": "0702020202120C",
    "K": "11121418141211", "L": "1010101010101F", "M": "111B1515111111", "N": "11111915131111",
    "O": "0E11111111110E", "P": "1E11111E101010", "Q": "0E11111115120D", "R": "1E11111E141211",
    "S": "0F10100E01011E", "T": "1F040404040404", "U": "1111111111110E", "V": "11111111110A04",
    "W": "1111111515150A", "X": "11110A040A1111", "Y": "1111110A040404", "Z": "1F01020408101F",
    "-": "0000001F000000", ".": "00000000000C0C", "%": "18190204081303", "(": "02040808080402",
    ")": "08040202020408", ":": "000C0C000C0C00", "/": "00010204081000", " ": "00000000000000",
}  # fmt: skip
GLYPHS: dict[str, tuple[int, ...]] = {char: tuple(bytes.fromhex(bits)) for char, bits in _FONT.items()}


class Canvas:
    """An RGB pixel buffer with filled rectangles and bitmap text; `png()` encodes it."""

    def __init__(self, width: int, height: int, background: RGB = WHITE) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: RGB) -> None:
        """Fill the pixels x0 <= x < x1, y0 <= y < y1 (clipped to the canvas)."""
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        if x0 >= x1:
            return
        line = bytes(colour) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + len(line)] = line

    def text(self, x: int, y: int, text: str, colour: RGB = INK, scale: int = SCALE) -> int:
        """Draw `text` (upper-cased; unknown characters as spaces) with its top left at (x, y); return its width."""
        for i, char in enumerate(text.upper()):
            left = x + i * 6 * scale
            for row, bits in enumerate(GLYPHS.get(char, GLYPHS[" "])):
                for column in range(5):
                    if bits & (0x10 >> column):
                        top = y + row * scale
                        self.rect(left + column * scale, top, left + (column + 1) * scale, top + scale, colour)
        return text_width(text, scale)

    def png(self) -> bytes:
        """Return the canvas as a PNG file (8-bit RGB, no filter, zlib level 9)."""
        return encode_png(self.width, self.height, bytes(self.pixels))


def text_width(text: str, scale: int = SCALE) -> int:
    """Return the width in pixels of `text` drawn at `scale` (no gap after the last character)."""
    return max(0, len(text) * 6 * scale - scale)


def encode_png(width: int, height: int, rgb: bytes) -> bytes:
    """Return a PNG file of `width` x `height` 8-bit RGB pixels given row by row."""
    if len(rgb) != width * height * 3:
        raise ValueError(f"expected {width * height * 3} bytes of pixels, got {len(rgb)}")
    stride = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride : (y + 1) * stride] for y in range(height))  # filter 0 on each row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, colour type 2 (RGB), no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def nice_max(value: int) -> int:
    """Return the top of a count axis: the smallest of 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, ... that is >= `value`."""
    step = 1
    while True:
        for mantissa in (1, 2, 3, 4, 5, 6, 8):
            if mantissa * step >= value:
                return mantissa * step
        step *= 10


def bar_height(count: int, top: int, pixels: int) -> int:
    """Return the height in pixels of `count` on an axis from 0 to `top` drawn `pixels` high."""
    return round(count * pixels / top) if top else 0


@dataclass(frozen=True, slots=True)
class BandBar:
    """One confidence band of the bottom panel: its label and two percentages (None: nothing to divide by)."""

    label: str
    answered_pct: float | None
    not_helpful_pct: float | None


def stats_chart(days: Sequence[tuple[date, Mapping[str, int]]], bands: Sequence[BandBar]) -> bytes:
    """Return the PNG of the daily stacked bars (`days`: each day and its decisions by action) and the bands."""
    canvas = Canvas(WIDTH, HEIGHT)
    _trend(canvas, days)
    _bands(canvas, bands)
    return canvas.png()


def _legend(canvas: Canvas, x: int, y: int, items: Sequence[tuple[str, RGB]]) -> None:
    for name, colour in items:
        canvas.rect(x, y, x + 14, y + 14, colour)
        x += 20 + canvas.text(x + 20, y, name) + 24


def _axis(canvas: Canvas, box: tuple[int, int, int, int], ticks: Sequence[tuple[int, str]]) -> None:
    """Grid lines and right-aligned labels at the given pixel offsets above the zero line, then the axes."""
    x0, y0, x1, y1 = box
    for offset, label in ticks:
        y = y1 - offset
        canvas.rect(x0, y, x1, y + 1, GRID)
        canvas.text(x0 - 8 - text_width(label), y - 7, label)
    canvas.rect(x0 - 1, y0, x0, y1 + 1, INK)
    canvas.rect(x0 - 1, y1, x1, y1 + 1, INK)


def _trend(canvas: Canvas, days: Sequence[tuple[date, Mapping[str, int]]]) -> None:
    x0, y0, x1, y1 = TREND_BOX
    canvas.text(16, 12, "Decisions per day (UTC)")
    _legend(canvas, 16, 38, ACTION_COLOURS)
    top = nice_max(max((sum(counts.values()) for _, counts in days), default=0))
    height = y1 - y0
    ticks = [(0, "0"), (height, str(top))] + ([(height // 2, str(top // 2))] if top % 2 == 0 else [])
    _axis(canvas, TREND_BOX, ticks)
    if not days:
        return
    slot = (x1 - x0) // len(days)
    width = max(2, slot * 2 // 3)
    label_every = -(-78 // slot)  # "MM-DD" is 58 pixels wide: keep 20 pixels between labels
    for i, (day, counts) in enumerate(days):
        left = x0 + i * slot + (slot - width) // 2
        below = 0
        for action, colour in ACTION_COLOURS:
            total = below + counts.get(action, 0)
            # Each segment ends where the running total ends: the stack's height is the day's total, no gaps.
            canvas.rect(left, y1 - bar_height(total, top, height), left + width, y1 - bar_height(below, top, height),
                        colour)  # fmt: skip
            below = total
        if i % label_every == 0:
            label = day.strftime("%m-%d")
            canvas.text(left + width // 2 - text_width(label) // 2, y1 + 8, label)


def _bands(canvas: Canvas, bands: Sequence[BandBar]) -> None:
    x0, y0, x1, y1 = BANDS_BOX
    canvas.text(16, 280, "Confidence bands")
    _legend(
        canvas, 16, 306, (("answered % of seen", ANSWERED_COLOUR), ("not helpful % of answers", NOT_HELPFUL_COLOUR))
    )
    _axis(canvas, BANDS_BOX, [(0, "0%"), (50, "50%"), (100, "100%")])
    if not bands:
        return
    slot = (x1 - x0) // len(bands)
    width = min(48, slot // 3)
    for i, band in enumerate(bands):
        left = x0 + i * slot + slot // 2 - width
        for j, (pct, colour) in enumerate(
            ((band.answered_pct, ANSWERED_COLOUR), (band.not_helpful_pct, NOT_HELPFUL_COLOUR))
        ):
            if pct is not None:  # None: nothing to divide by, no bar and no label (0 % gets its label)
                top = y1 - bar_height(round(pct), 100, y1 - y0)
                canvas.rect(left + j * width, top, left + (j + 1) * width, y1, colour)
                label = f"{pct:.0f}%"
                canvas.text(left + j * width + (width - text_width(label)) // 2, top - 18, label)
        canvas.text(x0 + i * slot + slot // 2 - text_width(band.label) // 2, y1 + 8, band.label)
