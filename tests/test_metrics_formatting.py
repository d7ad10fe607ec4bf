"""Plain text made safe for Streamlit markdown (md_escape): it shows as written, never as a link, image or badge."""

from __future__ import annotations

import pytest

from metrics.formatting import md_escape

J = "\u2060"  # the invisible word joiner that stops a bare address becoming a link


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("Bury", "Bury"),
        ("King's Lynn", "King\\'s Lynn"),
        ("![](https://x/y.png)", f"\\!\\[\\]\\(https\\:{J}\\/\\/x\\/y\\.png\\)"),
        ("[Verified by DfE](https://x)", f"\\[Verified by DfE\\]\\(https\\:{J}\\/\\/x\\)"),
        (":green-badge[RAG: Green]", f"\\:{J}green\\-badge\\[RAG\\:{J} Green\\]"),
        ("a@b.uk", f"a\\@{J}b\\.uk"),
        ("see www.x.com", f"see www{J}\\.x\\.com"),
        ("# Heading\n\n- list", "\\# Heading \\- list"),  # line breaks folded: no block can start
        ("<b>bold</b> $x$", "\\<b\\>bold\\<\\/b\\> \\$x\\$"),
        (None, ""),
        (42, "42"),
    ],
)
def test_md_escape(text, escaped):
    assert md_escape(text) == escaped


def test_md_escape_keeps_what_people_read():
    text = "Radcliffe North & Ainsworth (ward) – 50% of plans: *not* a heading"
    shown = md_escape(text).replace(J, "")
    assert "".join(ch for i, ch in enumerate(shown) if not (ch == "\\" and shown[i + 1 : i + 2] != "\\")) == text
