"""Plain text made safe for Streamlit markdown (md_escape): it shows as written, never as a link, image or badge."""

from __future__ import annotations

import pytest

from metrics.formatting import change_badge, fmt_change, md_escape, plural

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


@pytest.mark.parametrize(
    ("delta", "polarity", "decimals", "text", "arrow", "colour"),
    [
        # a fall of 2 points on a higher-is-better measure: the arrow points down (the sign) and it is red (worse)
        (-2.0, "higher_is_better", 0, "−2 points on Aug 2025", "down", "red"),
        # the same fall on a lower-is-better measure (e.g. plans audited as inadequate) is good: down and green
        (-2.0, "lower_is_better", 0, "−2 points on Aug 2025", "down", "green"),
        (3.0, "higher_is_better", 0, "+3 points on Aug 2025", "up", "green"),
        (3.0, "lower_is_better", 0, "+3 points on Aug 2025", "up", "red"),
        # a neutral measure (requests) moves either way without a judgement: grey
        (-12.0, "neutral", 0, "−12 points on Aug 2025", "down", "gray"),
        # 0.04 at one decimal is under half a display unit (0.05): no change, no arrow
        (0.04, "higher_is_better", 1, "No change on Aug 2025", "off", "gray"),
        (-0.4, "higher_is_better", 0, "No change on Aug 2025", "off", "gray"),
        (1.0, "higher_is_better", 0, "+1 point on Aug 2025", "up", "green"),
    ],
)
def test_change_badge_arrow_follows_the_sign_and_colour_the_polarity(delta, polarity, decimals, text, arrow, colour):
    badge = change_badge(delta, polarity, decimals, "percent", "Aug 2025")
    assert (badge["text"], badge["arrow"], badge["colour"]) == (text, arrow, colour)


def test_fmt_change_puts_the_arrow_of_the_sign_before_a_new_periods_change():
    # 34 now against 36 in Aug 2025: a fall of 2 points, ▼ whatever the polarity
    assert (
        fmt_change(34.0, 36.0, "Sep 2025", "Aug 2025", "percent", 0) == "New period: Sep 2025 (▼ −2 points on Aug 2025)"
    )
    assert (
        fmt_change(36.0, 34.0, "Sep 2025", "Aug 2025", "percent", 0) == "New period: Sep 2025 (▲ +2 points on Aug 2025)"
    )
    assert (
        fmt_change(36.2, 36.0, "Sep 2025", "Aug 2025", "percent", 0) == "New period: Sep 2025 (no change on Aug 2025)"
    )


def test_fmt_change_short_leaves_out_the_new_period_its_table_shows_beside_it():
    def short(*args):
        return fmt_change(*args, short=True)

    assert short(34.0, 36.0, "Sep 2025", "Aug 2025", "percent", 0) == "▼ −2 points on Aug 2025"
    assert short(36.2, 36.0, "Sep 2025", "Aug 2025", "percent", 0) == "► no change on Aug 2025"
    assert short(36.0, None, "Sep 2025", "Aug 2025", "percent", 0) == "New period"
    # a revision and no new data read the same either way
    assert short(36.0, 34.0, "Sep 2025", "Sep 2025", "percent", 0) == "Revised: 34% → 36%"
    assert short(36.0, 36.0, "Sep 2025", "Sep 2025", "percent", 0) == "No new data"


@pytest.mark.parametrize(
    ("count", "one", "many", "expected"),
    [
        (1, "period", None, "1 period"),
        (4, "period", None, "4 periods"),
        (0, "point shows", "points show", "0 points show"),
        (1, "point shows", "points show", "1 point shows"),
        (1200, "row", None, "1,200 rows"),
    ],
)
def test_plural(count, one, many, expected):
    assert plural(count, one, many) == expected


@pytest.mark.parametrize(
    ("delta", "decimals", "unit", "shown"),
    [
        (0.5, 0, "percent", "+1 point"),  # half a display unit: an arrow, so never "+0"
        (-0.5, 0, "percent", "−1 point"),
        (86.3 - 85.8, 0, "percent", "+1 point"),  # 0.4999… in floating point: still the half it is
        (0.05, 1, "rate_per_1000", "+0.1"),
        (2.0, 1, "percent", "+2.0 points"),
        (-1234.5, 0, "count", "−1,235"),
    ],
)
def test_a_change_of_half_a_display_unit_shows_as_one_unit_with_its_arrow(delta, decimals, unit, shown):
    from metrics.formatting import change_arrow, points

    assert points(delta, decimals, unit) == shown
    assert change_arrow(delta, decimals) in "▲▼"  # METHODS §5: ► only below half a display unit


def test_a_new_period_half_a_point_up_reads_up_one_point_and_just_under_reads_no_change():
    assert (
        fmt_change(86.5, 86.0, "Sep 2025", "Aug 2025", "percent", 0) == "New period: Sep 2025 (▲ +1 point on Aug 2025)"
    )
    assert (
        fmt_change(86.4, 86.0, "Sep 2025", "Aug 2025", "percent", 0) == "New period: Sep 2025 (no change on Aug 2025)"
    )
