"""The GSS analysis-function palette (colour-blind safe) and the SPC signal colours and shapes (METHODS §1)."""

DARK_BLUE = "#12436D"
TURQUOISE = "#28A197"
DARK_PINK = "#801650"
ORANGE = "#F46A25"
DARK_GREY = "#3D3D3D"
LIGHT_PURPLE = "#A285D1"
MID_GREY = "#7F7F7F"
FOCUS_REST = "#BFBFBF"
CATEGORICAL = [DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE]
SEQUENTIAL = ["#ADD1F1", "#6BACE6", "#2073BC", "#12436D", "#092135"]  # light → dark

SIGNAL_COLOURS = {
    "common_cause": MID_GREY,
    "improvement": DARK_BLUE,
    "concern": ORANGE,
    "neutral_high": DARK_PINK,
    "neutral_low": DARK_PINK,
}
SIGNAL_SHAPES = {
    "common_cause": "circle",
    "improvement": "triangle-up",
    "concern": "diamond",
    "neutral_high": "triangle-up",  # same colour either way (METHODS §1): the shape tells high from low
    "neutral_low": "triangle-down",
}
SIGNAL_LABELS = {
    "common_cause": "Common cause",
    "improvement": "Special cause: improvement",
    "concern": "Special cause: concern",
    "neutral_high": "Special cause: higher",
    "neutral_low": "Special cause: lower",
    "no_limits": "No limits (run chart)",
}


BOARD_MINIMUM_PX = 16  # board mode: no axis, tick or legend text smaller than the app's own body size
BOARD_SYMBOL = 220  # board mode: a legend's symbols (area in square px) big enough to tell apart across a room
INK = "#0B0C0C"  # text colour on white: 19.8:1
WHITE = "#FFFFFF"

# The GOV.UK Design System's red, amber and green, each with the text colour that reads on it (4.5:1 or better): the
# Summary's RAG cells and the risk register's bands (low green, medium amber, high red) share them.
RAG_FILL = {"Green": "#00703C", "Amber": "#FFDD00", "Red": "#D4351C"}
RAG_INK = {"Green": WHITE, "Amber": INK, "Red": WHITE}


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a #RRGGBB colour."""
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #RRGGBB colours (1 to 21)."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ink_on(fill: str) -> str:
    """Dark ink or white, whichever reads better on `fill`."""
    return INK if contrast(INK, fill) >= contrast(WHITE, fill) else WHITE


def readable(spec: dict, minimum: int = BOARD_MINIMUM_PX) -> dict:
    """A Vega-Lite spec made readable from the back of a room: every axis and legend label and title at least
    `minimum` px and in dark ink (4.5:1 or better), never cut short ("5 Almost ce…"), and legend symbols large,
    set in the spec's config and raised wherever an axis or legend sets a smaller size or a length limit of its own.
    Marks (e.g. ward names on a map) keep their sizes."""

    def raise_sizes(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("axis", "legend") and isinstance(value, dict):
                    for k in ("labelFontSize", "titleFontSize"):
                        if isinstance(value.get(k), (int, float)) and value[k] < minimum:
                            value[k] = minimum
                    if "labelLimit" in value:
                        value["labelLimit"] = 0  # no limit: a label is shown whole
                    if key == "legend" and isinstance(value.get("symbolSize"), (int, float)):
                        value["symbolSize"] = max(value["symbolSize"], BOARD_SYMBOL)
                    value.setdefault("labelColor", INK)
                    value.setdefault("titleColor", INK)
                raise_sizes(value)
        elif isinstance(node, list):
            for item in node:
                raise_sizes(item)

    raise_sizes(spec)
    config = spec.setdefault("config", {})
    for part in ("axis", "legend", "header"):
        block = config.setdefault(part, {})
        for k in ("labelFontSize", "titleFontSize"):
            block[k] = max(block.get(k, 0), minimum)
        block.update(labelColor=INK, titleColor=INK, labelLimit=0)
        if part == "axis":
            block["titleLimit"] = 0
    config["legend"]["symbolSize"] = max(config["legend"].get("symbolSize", 0), BOARD_SYMBOL)
    title = config.setdefault("title", {})
    title["fontSize"] = max(title.get("fontSize", 0), minimum + 2)
    title["color"] = INK
    return spec
