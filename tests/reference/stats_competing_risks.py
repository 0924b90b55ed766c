"""Cumulative incidence references with tied times.

18 subjects, three causes, heavy ties of events with each other and with
censorings (times 1, 2 and 4). Published in statsmodels' test suite
(statsmodels/duration/tests/test_survfunc.py::test_incidence):
  * estimates: R ``cmprsk::cuminc(ftime, fstat)`` (R commands in that test);
  * standard errors: "agree with Stata, not with R (cmprsk)", Stata
    ``stset ftime, failure(fstat==1)`` + ``stcompet ci=ci, compet1(2)`` -- the
    delta-method variance that we use.
Tolerance: rtol 1e-7 (values given to 8 significant digits).

HAND holds the exact fractions derived by hand (events before censorings at
each tie; at risk 18, 15, 12, 7, 5 at t = 1, 2, 4, 6, 7):
  cause 1: 2/18 at t=1, + (16/18)(1/15) at t=2          -> 1/9, 23/135
  cause 2: (16/18)(14/15)(3/12) at t=4                  -> 28/135
  cause 3: (28/45)(2/7) at t=6, + (28/45)(5/7)(1/5) at t=7 -> 8/45, 4/15
"""

FTIME = [1, 1, 2, 4, 4, 4, 6, 6, 7, 8, 9, 9, 9, 1, 2, 2, 4, 4]
FSTAT = [1, 1, 1, 2, 2, 2, 3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]
TIMES = [1, 2, 4, 6, 7, 8, 9]
SOURCE = "R cmprsk::cuminc (estimates), Stata stcompet (se); statsmodels test_incidence"
RTOL = 1e-7
CIF = {
    1: [0.11111111, 0.17037037, 0.17037037, 0.17037037, 0.17037037, 0.17037037, 0.17037037],
    2: [0.0, 0.0, 0.20740741, 0.20740741, 0.20740741, 0.20740741, 0.20740741],
    3: [0.0, 0.0, 0.0, 0.17777778, 0.26666667, 0.26666667, 0.26666667],
}
SE = {
    1: [0.07407407, 0.08976251, 0.08976251, 0.08976251, 0.08976251, 0.08976251, 0.08976251],
    2: [0.0, 0.0, 0.10610391, 0.10610391, 0.10610391, 0.10610391, 0.10610391],
    3: [0.0, 0.0, 0.0, 0.11196147, 0.12787781, 0.12787781, 0.12787781],
}
HAND = {
    1: {1: 1 / 9, 2: 23 / 135},
    2: {4: 28 / 135},
    3: {6: 8 / 45, 7: 4 / 15},
}
