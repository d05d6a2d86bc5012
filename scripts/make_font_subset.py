"""Build the CJK font subset embedded in the printable work-order slip (orders/slip.py).

The slip must print Chinese without depending on fonts installed on the server, so a subset of
Noto Sans CJK SC (SIL Open Font License 1.1) is vendored at
``anxin/web/static/anxin/fonts/NotoSansSC-Slip.ttf``: every GB2312 hanzi and symbol (~7,400
characters), printable ASCII and Latin-1 (¥, °, ×…), and the CJK / full-width punctuation the slip and names use.

The source is CFF-flavoured OpenType; the subset is converted to TrueType (quadratic ``glyf``
outlines, the fontTools ``otf2ttf`` recipe) because fpdf2 writes wrong glyph widths for CID-keyed
CFF subsets (text extracted with gaps, Latin letters spaced out), while its TrueType path is
the well-trodden one.

Run (needs fontTools, installed with fpdf2):

    .venv/bin/python scripts/make_font_subset.py [/path/to/NotoSansCJK-Regular.ttc] [--only=base|ext]

It writes the GB2312 subset and the supplement of every other hanzi of the face
(``NotoSansSC-SlipExt.ttf``), which the slip loads as a fallback only for a text that needs it.

Debian ships the source font in the fonts-noto-cjk package.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
# Face "Noto Sans CJK SC" in the collection (simplified-Chinese glyph shapes).
FACE_NAME = "Noto Sans CJK SC"
OUT = Path(__file__).resolve().parent.parent / "anxin/web/static/anxin/fonts/NotoSansSC-Slip.ttf"
OUT_EXT = OUT.with_name("NotoSansSC-SlipExt.ttf")

EXTRA = "·—–‘’“”…、。〈〉《》「」『』【】〔〕〖〗〜！＂＃％＆＇（）＊＋，－．／：；＜＝＞？＠［＼］＾＿｀｛｜｝～￥×÷≤≥±°℃№→←↑↓☐☑✓✗■□●○◆◇★☆"


def gb2312_characters() -> set[str]:
    chars: set[str] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def cff_to_truetype(font: TTFont, max_err: float = 1.0) -> None:
    """Replace the CFF outlines by TrueType ones in place (fontTools Snippets/otf2ttf.py)."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    for table in ("VORG", "GPOS", "GSUB", "GDEF", "BASE"):
        if table in font:
            del font[table]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    font["maxp"] = maxp
    maxp.compile(font)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: smaller, and a CID font has none worth keeping
    post.extraNames = []
    post.mapping = {}
    font["head"].indexToLocFormat = 1
    font.sfntVersion = "\x00\x01\x00\x00"


def base_characters() -> set[str]:
    return gb2312_characters() | {chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x100))} | set(EXTRA)


# The supplement: every other hanzi the face draws (CJK Unified Ideographs, Extension A, the
# compatibility ideographs; not the Extension B+ planes, 2,365 more glyphs of the face), for names such as 喆, 堃, 䶮 — loaded by
# the slip only when a text needs it.
EXT_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def build(font: TTFont, text: set[str], out: Path) -> None:
    options = subset.Options()
    options.layout_features = []  # the slip needs plain glyphs only; drop OpenType layout tables
    options.name_IDs = ["*"]  # keep copyright / licence names (OFL requires the notice)
    options.hinting = False
    options.desubroutinize = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(text)))
    subsetter.subset(font)
    cff_to_truetype(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(out)
    print(f"{out}: {out.stat().st_size:,} bytes, {len(text):,} characters")


def load_face(source: str) -> TTFont:
    collection = TTCollection(source)
    return next(f for f in collection.fonts if f["name"].getDebugName(1) == FACE_NAME)


def main(source: str = SOURCE, which: str = "both") -> None:
    base = base_characters()
    if which in ("both", "base"):
        build(load_face(source), base, OUT)
    if which in ("both", "ext"):
        face = load_face(source)
        mapped = face.getBestCmap()
        ext = {chr(c) for lo, hi in EXT_RANGES for c in range(lo, hi + 1) if c in mapped} - base
        build(face, ext, OUT_EXT)


if __name__ == "__main__":
    args = sys.argv[1:]
    which = next((a.removeprefix("--only=") for a in args if a.startswith("--only=")), "both")
    paths = [a for a in args if not a.startswith("--")]
    main(*(paths[:1] or [SOURCE]), which=which)
