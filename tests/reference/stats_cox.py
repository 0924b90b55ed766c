"""Cox model references.

Printed values are strings: tolerance half a unit in the last printed digit.
Full-precision values (floats) carry their own tolerance below.
"""

# -----------------------------------------------------------------------------
# Rossi et al. recidivism data (lifelines.datasets.load_rossi(), 432 rows),
# Efron ties. Fox, J. & Weisberg, S., "Cox Proportional-Hazards Regression for
# Survival Data in R", appendix to An R Companion to Applied Regression
# (2011; 3rd ed. 2018), model mod.allison:
#   coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio)
# The printout below is R's, as reproduced in the concurve package vignette
# "survival.Rmd" (zadrafi/concurve), which fits the appendix example on
# carData::Rossi; the same coefficients/se/z are quoted from the appendix in
# lifelines' test suite (test_coef_output_against_R_super_accurate,
# test_standard_error_coef_output_against_R, test_z_value_output_against_R).
#                    coef exp(coef) se(coef)      z       p
# finyes         -0.37942   0.68426  0.19138 -1.983 0.04742
# age            -0.05744   0.94418  0.02200 -2.611 0.00903
# raceother      -0.31390   0.73059  0.30799 -1.019 0.30812
# wexpyes        -0.14980   0.86088  0.21222 -0.706 0.48029
# marnot married  0.43370   1.54296  0.38187  1.136 0.25606
# paroyes        -0.08487   0.91863  0.19576 -0.434 0.66461
# prio            0.09150   1.09581  0.02865  3.194 0.00140
# Likelihood ratio test=33.27  on 7 df, p=2.362e-05
# n= 432, number of events= 114
# lifelines codes race = 1 for black and mar = 1 for married, the opposite of
# carData's factor levels, so the signs of race and mar (and exp(coef)) flip;
# se, |z| and p do not.
ROSSI_SOURCE = "Fox & Weisberg appendix, mod.allison (R coxph, Efron)"
ROSSI = {
    # term: (coef, exp(coef), se, z, p) in lifelines' 0/1 coding
    "fin": ("-0.37942", "0.68426", "0.19138", "-1.983", "0.04742"),
    "age": ("-0.05744", "0.94418", "0.02200", "-2.611", "0.00903"),
    "race": ("0.31390", None, "0.30799", "1.019", "0.30812"),
    "wexp": ("-0.14980", "0.86088", "0.21222", "-0.706", "0.48029"),
    "mar": ("-0.43370", None, "0.38187", "-1.136", "0.25606"),
    "paro": ("-0.08487", "0.91863", "0.19576", "-0.434", "0.66461"),
    "prio": ("0.09150", "1.09581", "0.02865", "3.194", "0.00140"),
}
ROSSI_LR = ("33.27", 7, "2.362e-05")
ROSSI_N_EVENTS = (432, 114)

# -----------------------------------------------------------------------------
# lung (lifelines.datasets.load_lung()), R survival
# tests/Examples/survival-Ex.Rout.save (R-devel 2023-01-09, survival 3.5),
# example of summary.coxph:  summary(coxph(Surv(time, status) ~ age + sex, lung))
LUNG_SOURCE = "R survival tests/Examples/survival-Ex.Rout.save: summary.coxph example"
LUNG = {
    # term: (coef, exp(coef), se, z, p, lower .95, upper .95)
    "age": ("0.017045", "1.017191", "0.009223", "1.848", "0.06459", "0.9990", "1.0357"),
    "sex": ("-0.513219", "0.598566", "0.167458", "-3.065", "0.00218", "0.4311", "0.8311"),
}
LUNG_CONCORDANCE = "0.603"
LUNG_LR = ("14.12", 2)
LUNG_N_EVENTS = (228, 165)

# same file, example of pspline:  fit0 <- coxph(Surv(time, status) ~ ph.ecog + age, lung)
#   n= 227, number of events= 164 (1 observation deleted due to missingness)
LUNG_ECOG_AGE = {
    "ph.ecog": ("0.443485", "0.115831", "0.000129"),  # coef, se, p
    "age": ("0.011281", "0.009319", "0.226082"),
}
LUNG_ECOG_AGE_LR = ("19.06", 2)
LUNG_ECOG_AGE_N_EVENTS = (227, 164)

# -----------------------------------------------------------------------------
# ovarian (tests/reference/ovarian.csv). R survival tests/ovarian.Rout.save
# (R 2.11.1) and tests/Examples/survival-Ex.Rout.save (survival 3.5).
OVARIAN_SOURCE = "R survival tests/ovarian.Rout.save and survival-Ex.Rout.save"
OVARIAN_FITS = [
    # (covariates, strata, {term: (coef, se)}, LR statistic)
    (["age"], None, {"age": ("0.162", "0.0497")}, "14.3"),
    (["resid_ds"], None, {"resid_ds": ("1.21", "0.672")}, "3.76"),
    (["rx"], None, {"rx": ("-0.596", "0.587")}, "1.05"),
    (["ecog_ps"], None, {"ecog_ps": ("0.398", "0.586")}, "0.47"),
    (
        ["resid_ds", "rx", "ecog_ps"],
        None,
        {"resid_ds": ("1.347", "0.680"), "rx": ("-0.749", "0.595"), "ecog_ps": ("0.453", "0.590")},
        "6.03",
    ),
    (
        ["age", "rx", "ecog_ps"],
        None,
        {"age": ("0.147", "0.0463"), "rx": ("-0.815", "0.6342"), "ecog_ps": ("0.103", "0.6064")},
        "15.9",
    ),
    # summary(coxph(Surv(futime, fustat) ~ age + ecog.ps + strata(rx)))
    (["age", "ecog_ps"], "rx", {"age": ("0.13853", "0.04801"), "ecog_ps": ("-0.09670", "0.62994")},
     "12.71"),
    # survival-Ex: coxph(Surv(futime, fustat) ~ age + strata(rx), data = ovarian)
    (["age"], "rx", {"age": ("0.13735", "0.04741")}, "12.69"),
]
# hazard-ratio interval of the stratified fit (summary, lower .95 / upper .95)
OVARIAN_STRATA_HR_CI = {"age": ("1.0454", "1.262"), "ecog_ps": ("0.2641", "3.120")}

# R survival tests/Examples/survival-Ex.Rout.save (survival 3.5), cox.zph example:
#   fit <- coxph(Surv(futime, fustat) ~ age + ecog.ps, data = ovarian)
#   print(cox.zph(fit))          # transform = "km" (default)
#           chisq df    p
#   age     0.698  1 0.40
#   ecog.ps 2.371  1 0.12
#   GLOBAL  3.633  2 0.16
OVARIAN_ZPH_SOURCE = "R survival tests/Examples/survival-Ex.Rout.save: cox.zph example"
OVARIAN_ZPH = {"age": ("0.698", "0.40"), "ecog_ps": ("2.371", "0.12")}
OVARIAN_ZPH_GLOBAL = ("3.633", 2, "0.16")

# -----------------------------------------------------------------------------
# aml (tests/reference/aml.csv), R survival tests/doaml.Rout.save (R 2.11.1):
#   coxph(Surv(time, status) ~ x, aml, method = "breslow")  -> 0.904, se 0.512, LR 3.3
#   coxph(Surv(time, status) ~ x, aml, method = "efron")    -> 0.916, se 0.512, LR 3.38
AML_SOURCE = "R survival tests/doaml.Rout.save"
AML = {
    "breslow": ("0.904", "0.512", "3.3"),
    "efron": ("0.916", "0.512", "3.38"),
}

# -----------------------------------------------------------------------------
# Klein, J. P. & Moeschberger, M. L. (2003) Survival Analysis: Techniques for
# Censored and Truncated Data, 2nd ed., Springer. Breslow ties (the book's
# SAS PHREG default). Values as quoted from the book in lifelines' test suite
# (test_se_against_Survival_Analysis_by_John_Klein_and_Melvin_Moeschberger,
# test_p_value_against_..., test_coef_output_against_...).
# Larynx cancer data (lifelines.datasets.load_larynx()), Table 8.1:
KM_LARYNX_SOURCE = "Klein & Moeschberger (2003) Table 8.1, larynx data, Breslow"
KM_LARYNX = {
    # term: (se, p)
    "age": ("0.0143", "0.1847"),
    "Stage_II": ("0.4623", "0.7644"),
    "Stage_III": ("0.3561", "0.0730"),
    "Stage_IV": ("0.4222", None),  # p printed as 0.00 (< 0.005): checked as < 0.005
}
# Kidney transplant data (lifelines.datasets.load_kidney_transplant()), Example 8.3:
KM_KIDNEY_SOURCE = "Klein & Moeschberger (2003) Example 8.3, kidney transplant, Breslow"
KM_KIDNEY = {"black_male": "0.1596", "white_male": "0.2484", "black_female": "0.6567"}

# -----------------------------------------------------------------------------
# R coxph coefficients and standard errors kept at full precision by
# statsmodels (statsmodels/duration/tests/results/survival_r_results.py,
# generated by results/survival.R in the same directory) for the data set
# statsmodels/duration/tests/results/survival_data_100_5.csv (columns: time,
# status, entry, x1..x5; strata = 5 consecutive blocks of 20 rows, as
# kronecker(seq(5), rep(1, n/5)) in survival.R).
# Tolerance: rtol 1e-5 (R printed 7 significant digits; our convergence 1e-10).
R_SIM_SOURCE = "statsmodels duration/tests/results/survival_r_results.py (R coxph)"
R_SIM_RTOL = 1e-5
R_SIM = {
    ("breslow", False): (
        [-0.529776, -0.2916374, -0.1205425, 0.3493476, 0.6034305],
        [0.1789305, 0.1482505, 0.1347422, 0.1528205, 0.1647927],
    ),
    ("breslow", True): (
        [-0.53019, -0.3225739, -0.1241568, 0.3246598, 0.6196859],
        [0.1954581, 0.1602811, 0.1470644, 0.17121, 0.1784115],
    ),
    ("efron", False): (
        [-0.5641909, -0.3233021, -0.1234858, 0.3712328, 0.6421963],
        [0.1804027, 0.1496253, 0.1338531, 0.1529832, 0.1670848],
    ),
    ("efron", True): (
        [-0.5530876, -0.3331652, -0.128381, 0.3503472, 0.6397813],
        [0.1969338, 0.1614976, 0.1464088, 0.171299, 0.1800787],
    ),
}
