"""Reference values for pipeline.stats.count_model (PPML, quasi-Poisson errors), printed by
ppml_fe.R (R 4.2, base `glm(family = quasipoisson)`) on ppml_panel.csv (10 regions x 36
months, written once by a numpy simulation, seed 14). Printed with 10 decimals (deviance 8);
R run with glm.control(epsilon = 1e-13) (1e-11 for the trend model, which does not
converge tighter); we stop at 1e-10. The tests allow a relative 1e-7.

fe         y ~ caw + month + log(fte)
fe_trends  y ~ caw + month + caw:t + log(fte)   (t = months from the panel's mean / 12;
                                                 one trend aliased, as in our design)
fe_offset  y ~ caw + month + log(fte) + offset(log(n))
"""

LOG_FTE = {
    "fe": {"coef": 0.9076026462, "se": 0.1036649742, "dispersion": 6.7530298325,
           "deviance": 2110.16312300},
    "fe_trends": {"coef": 1.3912204815, "se": 0.2185035882, "dispersion": 6.5702230038,
                  "deviance": 2023.74566356},
    "fe_offset": {"coef": 0.8998434526, "se": 0.1179997894, "dispersion": 8.6535931138,
                  "deviance": 2641.88932084},
}
REL_TOL = 1e-7
