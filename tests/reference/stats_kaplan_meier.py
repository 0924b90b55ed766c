"""Kaplan-Meier references (R survival ``survfit``, default conf.type = "log").

Tolerance: printed values are strings; half a unit in the last printed digit.
"NA" in R output is ``None`` here (we return NaN).
"""

# -----------------------------------------------------------------------------
# R survival, tests/doaml.Rout.save (R 2.11.1; therneau/survival on GitHub):
#   fit <- survfit(Surv(aml$time, aml$status) ~ aml$x); fit; summary(fit)
AML_SOURCE = "R survival tests/doaml.Rout.save: survfit(Surv(time, status) ~ x, aml)"
AML_TABLE = {
    # time, n.risk, n.event, survival, std.err, lower 95% CI, upper 95% CI
    "Maintained": [
        ("9", "11", "1", "0.909", "0.0867", "0.7541", "1.000"),
        ("13", "10", "1", "0.818", "0.1163", "0.6192", "1.000"),
        ("18", "8", "1", "0.716", "0.1397", "0.4884", "1.000"),
        ("23", "7", "1", "0.614", "0.1526", "0.3769", "0.999"),
        ("31", "5", "1", "0.491", "0.1642", "0.2549", "0.946"),
        ("34", "4", "1", "0.368", "0.1627", "0.1549", "0.875"),
        ("48", "2", "1", "0.184", "0.1535", "0.0359", "0.944"),
    ],
    "Nonmaintained": [
        ("5", "12", "2", "0.8333", "0.1076", "0.6470", "1.000"),
        ("8", "10", "2", "0.6667", "0.1361", "0.4468", "0.995"),
        ("12", "8", "1", "0.5833", "0.1423", "0.3616", "0.941"),
        ("23", "6", "1", "0.4861", "0.1481", "0.2675", "0.883"),
        ("27", "5", "1", "0.3889", "0.1470", "0.1854", "0.816"),
        ("30", "4", "1", "0.2917", "0.1387", "0.1148", "0.741"),
        ("33", "3", "1", "0.1944", "0.1219", "0.0569", "0.664"),
        ("43", "2", "1", "0.0972", "0.0919", "0.0153", "0.620"),
        # at 45 R prints survival 0.0000, std.err NaN, limits NA
        ("45", "1", "1", "0.0000", None, None, None),
    ],
}
# print(fit): n, events, median, 0.95LCL, 0.95UCL
AML_MEDIANS = {
    "Maintained": ("11", "7", "31", "18", None),
    "Nonmaintained": ("12", "11", "23", "8", None),
}

# -----------------------------------------------------------------------------
# R survival, tests/Examples/survival-Ex.Rout.save (R-devel 2023-01-09,
# survival 3.5), example of summary.survfit:
#   summary(survfit(Surv(futime, fustat) ~ 1, data = ovarian))
OVARIAN_SOURCE = "R survival tests/Examples/survival-Ex.Rout.save: summary.survfit example"
OVARIAN_TABLE = [
    # time, n.risk, n.event, survival, std.err, lower 95% CI, upper 95% CI
    ("59", "26", "1", "0.962", "0.0377", "0.890", "1.000"),
    ("115", "25", "1", "0.923", "0.0523", "0.826", "1.000"),
    ("156", "24", "1", "0.885", "0.0627", "0.770", "1.000"),
    ("268", "23", "1", "0.846", "0.0708", "0.718", "0.997"),
    ("329", "22", "1", "0.808", "0.0773", "0.670", "0.974"),
    ("353", "21", "1", "0.769", "0.0826", "0.623", "0.949"),
    ("365", "20", "1", "0.731", "0.0870", "0.579", "0.923"),
    ("431", "17", "1", "0.688", "0.0919", "0.529", "0.894"),
    ("464", "15", "1", "0.642", "0.0965", "0.478", "0.862"),
    ("475", "14", "1", "0.596", "0.0999", "0.429", "0.828"),
    ("563", "12", "1", "0.546", "0.1032", "0.377", "0.791"),
    ("638", "11", "1", "0.497", "0.1051", "0.328", "0.752"),
]

# -----------------------------------------------------------------------------
# lung (lifelines.datasets.load_lung(): R's survival::lung with status 0/1).
# Overall curve, R print(survfit(Surv(time, status) ~ 1, data = lung)):
#        n events median 0.95LCL 0.95UCL
#   [1,] 228    165    310     285     363
# This exact line is quoted verbatim in many public R tutorials (found in the
# code index, e.g. several knitr outputs of the same call); it is R's
# default log-type interval.
LUNG_SOURCE = "R survival print(survfit(Surv(time, status) ~ 1, data = lung))"
LUNG_OVERALL = ("228", "165", "310", "285", "363")

# R survival, tests/Examples/survival-Ex.Rout.save (survival 3.5), examples of
# Surv / pseudo (print of survfit) and quantile.survfit:
#   fit <- survfit(Surv(time, status) ~ ph.ecog, data = lung); quantile(fit)
LUNG_ECOG_SOURCE = "R survival tests/Examples/survival-Ex.Rout.save: quantile.survfit example"
LUNG_ECOG = {
    # ph.ecog: n, events, median, 0.95LCL, 0.95UCL
    0: ("63", "37", "394", "348", "574"),
    1: ("113", "82", "306", "268", "429"),
    2: ("50", "44", "199", "156", "288"),
    3: ("1", "1", "118", None, None),
}
LUNG_ECOG_QUANTILES = {
    # ph.ecog: {p: (quantile, lower, upper)}
    0: {0.25: ("285", "189", "350"), 0.75: ("655", "558", None)},
    1: {0.25: ("181", "156", "223"), 0.75: ("550", "460", "689")},
    2: {0.25: ("105", "61", "163"), 0.75: ("351", "285", "654")},
    3: {0.25: ("118", None, None), 0.75: ("118", None, None)},
}
