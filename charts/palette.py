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
INK = "#0B0C0C"  # text colour on white: 19.8:1
_SIZE_KEYS = ("labelFontSize", "titleFontSize", "symbolSize")


def readable(spec: dict, minimum: int = BOARD_MINIMUM_PX) -> dict:
    """A Vega-Lite spec made readable from the back of a room: every axis and legend label and title at least
    `minimum` px and in dark ink (4.5:1 or better), set in the spec's config and raised wherever an axis or legend
    sets a smaller size of its own. Marks (e.g. ward names on a map) keep their sizes."""

    def raise_sizes(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("axis", "legend") and isinstance(value, dict):
                    for k in ("labelFontSize", "titleFontSize"):
                        if isinstance(value.get(k), (int, float)) and value[k] < minimum:
                            value[k] = minimum
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
        block.update(labelColor=INK, titleColor=INK)
    title = config.setdefault("title", {})
    title["fontSize"] = max(title.get("fontSize", 0), minimum + 2)
    title["color"] = INK
    return spec
