"""Log-rank references (R survival ``survdiff``, rho = 0).

Tolerance: printed strings; half a unit in the last printed digit.
"""

# R survival tests/doaml.Rout.save (R 2.11.1): survdiff(Surv(time, status) ~ x, aml)
#                      N Observed Expected (O-E)^2/E (O-E)^2/V
# aml$x=Maintained    11        7    10.69      1.27      3.40
# aml$x=Nonmaintained 12       11     7.31      1.86      3.40
#  Chisq= 3.4  on 1 degrees of freedom, p= 0.0653
AML_SOURCE = "R survival tests/doaml.Rout.save: survdiff(Surv(time, status) ~ x, aml)"
AML = {
    "groups": ("Maintained", "Nonmaintained"),
    "n": ("11", "12"),
    "observed": ("7", "11"),
    "expected": ("10.69", "7.31"),
    "chisq": "3.40",  # the (O-E)^2/V column, the test statistic for 2 groups
    "df": 1,
    "p": "0.0653",
}

# R survival tests/Examples/survival-Ex.Rout.save (survival 3.5), survdiff example:
#   survdiff(Surv(futime, fustat) ~ rx, data = ovarian)
#       N Observed Expected (O-E)^2/E (O-E)^2/V
# rx=1 13        7     5.23     0.596      1.06
# rx=2 13        5     6.77     0.461      1.06
#  Chisq= 1.1  on 1 degrees of freedom, p= 0.3
OVARIAN_SOURCE = "R survival tests/Examples/survival-Ex.Rout.save: survdiff example"
OVARIAN = {
    "groups": (1, 2),
    "n": ("13", "13"),
    "observed": ("7", "5"),
    "expected": ("5.23", "6.77"),
    "chisq": "1.06",
    "df": 1,
    "p": "0.3",
}
