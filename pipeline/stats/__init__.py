"""Statistical core of the evaluation (issue 4): plain functions, frozen results.

Each estimator states its conventions in its module docstring and is tested
against published reference results in ``tests/reference/``.
"""

from .competing_risks import CumulativeIncidenceResult, cumulative_incidence
from .cox import CoxResult, LRTest, PHTest, concordance_index, cox_ph
from .design import DEFAULT_REFERENCES, Design, build_design
from .kaplan_meier import KaplanMeierResult, kaplan_meier
from .logistic import INTERCEPT, LogisticResult, cluster_sandwich, logistic
from .logrank import LogrankResult, logrank

__all__ = [
    "DEFAULT_REFERENCES",
    "INTERCEPT",
    "CoxResult",
    "CumulativeIncidenceResult",
    "Design",
    "KaplanMeierResult",
    "LRTest",
    "LogisticResult",
    "LogrankResult",
    "PHTest",
    "build_design",
    "cluster_sandwich",
    "concordance_index",
    "cox_ph",
    "cumulative_incidence",
    "kaplan_meier",
    "logistic",
    "logrank",
]
