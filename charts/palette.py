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
