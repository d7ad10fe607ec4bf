"""Published figures the demonstration snapshots reproduce.

Sources: DfE "Education, health and care plans" (SEN2), reporting year 2025 (Open Government Licence v3.0), for the
area and its comparators; and the board's own published figures as listed in KPIS.md. Figures only: the demo
generator builds every other number around them.
"""

from __future__ import annotations

from datetime import date

from ingest.catalogue import SERVICE_TITLES  # noqa: F401 - the demo uses the shared titles
from metrics.areas import default_system

ENGLAND = "E92000001"
NORTH_WEST = "E12000002"
BURY = "E08000002"
SYSTEM = default_system(BURY)  # the area's health and care system, from data/reference/systems.toml
GM_LOCALITIES = {c: SYSTEM.names[c] for c in SYSTEM.localities}
REGION = {"code": NORTH_WEST, "name": "North West"}  # as the DfE files give Bury's region

AREA_NAMES = {ENGLAND: "England", NORTH_WEST: "North West", **GM_LOCALITIES}

DFE_YEARS = (2019, 2020, 2021, 2022, 2023, 2024)

# 20-week timeliness, calendar years 2019–2024: (plans issued, within 20 weeks, published %), including exceptions,
# then the same excluding exceptions.
TIMELINESS = {
    "E08000001": [
        (325, 129, 39.7),
        (287, 156, 54.4),
        (258, 159, 61.6),
        (324, 143, 44.1),
        (630, 277, 44.0),
        (563, 402, 71.4),
    ],
    "E08000002": [
        (213, 168, 78.9),
        (302, 82, 27.2),
        (263, 90, 34.2),
        (429, 219, 51.0),
        (436, 323, 74.1),
        (296, 293, 99.0),
    ],
    "E08000003": [
        (665, 434, 65.3),
        (783, 397, 50.7),
        (949, 645, 68.0),
        (1299, 638, 49.1),
        (1584, 808, 51.0),
        (1657, 1052, 63.5),
    ],
    "E08000004": [
        (305, 247, 81.0),
        (230, 209, 90.9),
        (282, 253, 89.7),
        (203, 195, 96.1),
        (425, 394, 92.7),
        (408, 350, 85.8),
    ],
    "E08000005": [
        (293, 164, 56.0),
        (230, 217, 94.3),
        (318, 301, 94.7),
        (389, 353, 90.7),
        (301, 134, 44.5),
        (415, 169, 40.7),
    ],
    "E08000006": [
        (293, 264, 90.1),
        (290, 185, 63.8),
        (255, 182, 71.4),
        (135, 72, 53.3),
        (483, 223, 46.2),
        (461, 231, 50.1),
    ],
    "E08000007": [
        (275, 126, 45.8),
        (302, 129, 42.7),
        (341, 321, 94.1),
        (508, 251, 49.4),
        (419, 41, 9.8),
        (575, 45, 7.8),
    ],
    "E08000008": [
        (409, 179, 43.8),
        (301, 209, 69.4),
        (359, 116, 32.3),
        (381, 125, 32.8),
        (678, 366, 54.0),
        (876, 262, 29.9),
    ],
    "E08000009": [
        (328, 198, 60.4),
        (282, 229, 81.2),
        (269, 189, 70.3),
        (452, 158, 35.0),
        (497, 291, 58.6),
        (380, 203, 53.4),
    ],
    "E08000010": [
        (253, 234, 92.5),
        (259, 190, 73.4),
        (317, 231, 72.9),
        (459, 344, 74.9),
        (444, 261, 58.8),
        (628, 264, 42.0),
    ],
    NORTH_WEST: [
        (7742, 4564, 59.0),
        (7873, 4751, 60.3),
        (8987, 5842, 65.0),
        (10789, 6493, 60.2),
        (13823, 7573, 54.8),
        (14696, 7296, 49.6),
    ],
    ENGLAND: [
        (53327, 31313, 58.7),
        (59097, 32863, 55.6),
        (61269, 35470, 57.9),
        (65512, 31226, 47.7),
        (80945, 39784, 49.1),
        (90392, 41448, 45.9),
    ],
}
TIMELINESS_EXCL = {
    "E08000001": [(301, 111), (286, 156), (254, 159), (324, 143), (596, 276), (556, 402)],
    "E08000002": [(213, 168), (274, 75), (259, 90), (429, 219), (436, 323), (296, 293)],
    "E08000003": [(531, 354), (779, 397), (819, 595), (1108, 637), (1305, 804), (1355, 1040)],
    "E08000004": [(217, 188), (213, 202), (247, 220), (201, 194), (403, 383), (239, 183)],
    "E08000005": [(202, 111), (213, 207), (314, 301), (379, 348), (279, 131), (386, 163)],
    "E08000006": [(268, 249), (229, 152), (195, 122), (118, 57), (349, 173), (318, 199)],
    "E08000007": [(274, 125), (295, 124), (340, 321), (497, 248), (416, 41), (574, 45)],
    "E08000008": [(304, 150), (238, 196), (243, 89), (227, 89), (615, 352), (807, 237)],
    "E08000009": [(272, 168), (280, 229), (241, 183), (410, 149), (420, 262), (380, 203)],
    "E08000010": [(217, 214), (214, 172), (272, 227), (398, 334), (402, 259), (603, 257)],
    NORTH_WEST: [(6973, 4191), (7345, 4590), (8388, 5580), (10158, 6373), (13006, 7379), (13808, 6977)],
    ENGLAND: [(49519, 29895), (54175, 31446), (57196, 34249), (62108, 30536), (76506, 38471), (84866, 39407)],
}
# Requests for an EHC needs assessment received in the calendar year, 2019–2024.
REQUESTS = {
    "E08000001": [441, 417, 471, 599, 716, 732],
    "E08000002": [336, 370, 477, 610, 675, 560],
    "E08000003": [1022, 822, 1066, 1673, 2093, 2305],
    "E08000004": [396, 339, 438, 484, 753, 865],
    "E08000005": [389, 315, 414, 606, 612, 755],
    "E08000006": [471, 361, 437, 568, 834, 946],
    "E08000007": [362, 329, 512, 705, 790, 859],
    "E08000008": [479, 441, 492, 651, 839, 1052],
    "E08000009": [337, 305, 413, 529, 669, 515],
    "E08000010": [326, 312, 523, 624, 747, 1020],
    NORTH_WEST: [10942, 9802, 12795, 16302, 21045, 24411],
    ENGLAND: [82329, 75951, 93302, 114482, 138242, 154489],
}
# New EHC plans issued in the calendar year, 2019–2024.
NEW_PLANS = {
    "E08000001": [350, 308, 258, 324, 557, 596],
    "E08000002": [213, 302, 263, 431, 457, 361],
    "E08000003": [665, 783, 949, 1257, 1598, 1593],
    "E08000004": [305, 230, 282, 246, 410, 368],
    "E08000005": [293, 230, 319, 379, 364, 480],
    "E08000006": [293, 290, 255, 130, 507, 511],
    "E08000007": [275, 311, 360, 426, 432, 610],
    "E08000008": [409, 301, 359, 384, 535, 779],
    "E08000009": [328, 282, 269, 436, 511, 393],
    "E08000010": [254, 259, 317, 445, 489, 680],
    NORTH_WEST: [7769, 8036, 9049, 10621, 13596, 15248],
    ENGLAND: [53899, 60097, 62180, 66706, 84428, 97747],
}
# Active EHC plans at the January census, January 2019 … January 2025.
CASELOAD_YEARS = (2019, 2020, 2021, 2022, 2023, 2024, 2025)
CASELOAD = {
    "E08000001": [2232, 2449, 2611, 2726, 2778, 3304, 3604],
    "E08000002": [1617, 1727, 1935, 2087, 2241, 2686, 2804],
    "E08000003": [4163, 4667, 5064, 5792, 6471, 7798, 8875],
    "E08000004": [2056, 2314, 2427, 2661, 2670, 3336, 3652],
    "E08000005": [1753, 1962, 2092, 2346, 2649, 2829, 2970],
    "E08000006": [1889, 2155, 2419, 2599, 2578, 3206, 3387],
    "E08000007": [2195, 2359, 2383, 2618, 2827, 3115, 3506],
    "E08000008": [1344, 1575, 1756, 2140, 2563, 3022, 3473],
    "E08000009": [1788, 2030, 2256, 2448, 2745, 2939, 3143],
    "E08000010": [1804, 1930, 2111, 2337, 2607, 2966, 3579],
    NORTH_WEST: [47353, 52875, 58455, 64506, 71971, 82819, 92839],
    ENGLAND: [353995, 390109, 430697, 473255, 517048, 576474, 638745],
}
DFE_PUBLISHED = date(2025, 6, 26)
DFE_RELEASE_2025 = {
    "name": "DfE Education, health and care plans (SEN2), reporting year 2025",
    "file": "education-health-and-care-plans_2025.zip (headline figures for every English local authority, "
    "data/reference/dfe_ehcp_headlines.csv)",
    "publisher": "Department for Education",
    "licence": "OGL-3.0",
    "published": "2025-06-26",
}
LAIT_EXTRACT = {
    "name": "DfE Local Authority Interactive Tool (LAIT): SEN measures and statistical neighbours",
    "file": "bds_long_0.parquet, lait_data_dictionary.csv and sn_may_2025.xlsx (the area's plan's measures for every "
    "English local authority and every authority's statistical neighbours, data/reference/lait_sen.csv and "
    "statistical_neighbours.csv)",
    "publisher": "Department for Education",
    "licence": "OGL-3.0",
    "published": "",
}

# The area's own Priority Impact Plan for the indicators every area shares (ingest.catalogue): the workstream each
# sits in and the targets the board set. Another area's plan comes from its own build config (`[plan]`, see
# ingest.example.toml, which carries this same plan) or its kpi_catalogue template; without one, the shared
# indicators are grouped by topic with no target.
_EHCP_20WK = {"workstream": "PIP6.1", "target": 90.0, "target_date": date(2025, 12, 31)}
_WAITS = {"workstream": "PIP3", "target": 80.0, "target_date": date(2026, 3, 31)}
PLAN: dict[str, dict] = {
    "ehcp_20wk_pct": _EHCP_20WK,
    "ehcp_20wk_excl_pct": _EHCP_20WK,
    **{
        kpi_id: {"workstream": "PIP6.1"}
        for kpi_id in (
            "ehcp_requests",
            "ehcp_new_plans",
            "ehcp_caseload",
            "ehcp_requests_assessed_pct",
            "ehcp_request_6wk_pct",
            "ehcp_assess_issued_pct",
            "ehcp_assess_not_issue_16wk_pct",
            "ehcp_personal_budgets",
            "ehcp_tribunal_appeal_rate_pct",
        )
    },
    **{
        kpi_id: {"workstream": "PIP6.2"}
        for kpi_id in (
            "ehcp_review_meeting_pct",
            "ehcp_review_4wk_pct",
            "ehcp_ceased",
            "ehcp_ceased_needs_met_pct",
            "ehcp_ceased_education_employment_pct",
            "ehcp_ceased_moved_pct",
        )
    },
    "annual_review_overdue_pct": {"workstream": "PIP6.2", "target": 10.0, "target_date": date(2026, 8, 31)},
    # LAIT's published measures (data/reference/lait_sen.csv): Level 2 and Level 3 at 19 by SEN status, 16–17-year-olds
    # with SEN in education or training (beside the local monthly tracking measure, never merged with it), pupils at
    # SEN support
    **{
        kpi_id: {"workstream": "PIP4", "theme": 3}
        for kpi_id in ("lait_age19_senwos", "lait_age19_sen_s", "lait_age19_senwos_l3", "lait_age19_sen_s_l3")
    },
    "lait_16_17yroldsen_et": {"workstream": "PIP5", "theme": 3},
    "lait_sen_totsensup": {"workstream": "PIP1", "theme": 1},
    **{f"wait_u18_{s}_pct": _WAITS for s in ("camhs", "salt", "ot", "physio", "community_paediatrics")},
}

# PIP3: the area's published % waiting under 18 weeks and its rank among the 10 GM localities.
WAIT_FACTS = {
    # service: (year, month, percent, rank)
    "camhs": (2025, 6, 69, 8),
    "ot": (2025, 7, 72, 4),
    "community_paediatrics": (2025, 7, 79, 4),
    "physio": (2025, 7, 71, 7),
    "salt": (2025, 7, 34, 9),
}
SALT_AUG_2024 = 9


# The 17 wards (2022 review): code, ONS name, town, centroid lon/lat (ONS LONG/LAT).
WARDS = [
    ("E05014152", "Besses", "Whitefield", -2.27659, 53.54966),
    ("E05014153", "Bury East", "Bury", -2.26286, 53.59826),
    ("E05014154", "Bury West", "Bury", -2.3253, 53.58928),
    ("E05014155", "Elton", "Bury", -2.31493, 53.6071),
    ("E05014156", "Holyrood", "Prestwich", -2.25388, 53.54591),
    ("E05014157", "Moorside", "Bury", -2.28706, 53.60716),
    ("E05014158", "North Manor", "Ramsbottom & Tottington", -2.3222, 53.62545),
    ("E05014159", "Pilkington Park", "Whitefield", -2.31663, 53.54091),
    ("E05014160", "Radcliffe East", "Radcliffe", -2.31793, 53.57041),
    ("E05014161", "Radcliffe North & Ainsworth", "Radcliffe", -2.35545, 53.58067),
    ("E05014162", "Radcliffe West", "Radcliffe", -2.33537, 53.55629),
    ("E05014163", "Ramsbottom", "Ramsbottom & Tottington", -2.33205, 53.6491),
    ("E05014164", "Redvales", "Bury", -2.29714, 53.5836),
    ("E05014165", "Sedgley", "Prestwich", -2.26474, 53.52347),
    ("E05014166", "St. Mary's", "Prestwich", -2.30029, 53.52673),
    ("E05014167", "Tottington", "Ramsbottom & Tottington", -2.35161, 53.61044),
    ("E05014168", "Unsworth", "Whitefield", -2.27349, 53.5677),
]
