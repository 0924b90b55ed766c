"""Logistic regression and sandwich references (Stata).

All Stata values are at full precision as exported by Stata's estmat/
``r(table)`` and kept in statsmodels' test results (files named below, part of
the installed statsmodels package). Tolerance: rtol 1e-6 on coefficients and
standard errors (Stata's Newton stops at 1e-8 relative change; statsmodels'
own tests use the same order).
"""

RTOL = 1e-6

# Spector & Mazzeo (1980) data, statsmodels.datasets.spector (32 rows).
# Stata 11:  logit grade gpa tuce psi
# Source: statsmodels/discrete/tests/results/results_discrete.py, class Spector,
# method logit ("Results are from Stata 11").
SPECTOR_SOURCE = "Stata 11, logit grade gpa tuce psi (statsmodels results_discrete.Spector)"
SPECTOR_LOGIT = {
    # term: (coef, se, z)
    "(Intercept)": (-13.0213483201, 4.93132462871, -2.640537645),
    "GPA": (2.82611297201, 1.26294114526, 2.237723415),
    "TUCE": (0.0951576702557, 0.141554207662, 0.6722348408),
    "PSI": (2.37868772835, 1.06456430165, 2.234423721),
}
# log likelihood: Stata's glm fit of the same model (same file as the robust
# se below, infocrit "ll") -12.889634222131; Stata's logit printout kept in
# results_discrete gives -12.8896334653335 (6e-8 relative difference; that
# run's coefficients agree with ours to 1e-7, so most likely Stata's default
# single-precision storage of the data there). We test at rtol 1e-9 against
# the glm value and at 1e-7 against the logit value.
SPECTOR_LLF = -12.889634222131
SPECTOR_LLF_LOGIT = -12.8896334653335
SPECTOR_LLNULL = -20.5917296966173

# Stata:  glm grade gpa tuce psi, family(binomial) vce(robust)
# Source: statsmodels/discrete/tests/results/results_glm_logit_constrained.py,
# results_noconstraint_robust (params_table column "se").
# Stata's robust (sandwich) variance for ML models is N/(N-1) * HC0, i.e. our
# cluster convention G/(G-1) with every row its own cluster (G = N = 32).
SPECTOR_ROBUST_SOURCE = "Stata glm ..., family(binomial) vce(robust) (statsmodels results)"
SPECTOR_ROBUST_SE = {
    "GPA": 1.287827879216,
    "TUCE": 0.1198091371814,
    "PSI": 0.97985082470462,
    "(Intercept)": 5.2807513766642,
}

# Ship accidents (McCullagh & Nelder 1989), statsmodels test data
# discrete/tests/results/ships.csv, rows without missing values (N = 34,
# 5 ships). Stata:  poisson accident yr_con op_75_79, vce(cluster ship)
# Source: statsmodels/discrete/tests/results/results_count_robust_cluster.py,
# results_poisson_clu (params_table and cov). A true cluster-robust (G = 5)
# Stata ML sandwich: it checks the same G/(G-1) convention on clusters.
SHIPS_SOURCE = "Stata poisson accident yr_con op_75_79, vce(cluster ship)"
SHIPS_PARAMS = [-0.02172061893549, 0.22148585072024, 2.2697077143215]  # yr_con, op_75_79, _cons
SHIPS_SE = [0.19933709357097, 0.11093628220713, 1.1048569901548]
SHIPS_COV = [
    [0.03973527687332, 0.00976206273414, -0.21171095768584],
    [0.00976206273414, 0.01230685870994, -0.06297293767114],
    [-0.21171095768584, -0.06297293767114, 1.2207089686939],
]
