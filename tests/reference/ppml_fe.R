# Reference values for pipeline.stats.count_model (PPML / quasi-Poisson with fixed effects).
# Data: tests/reference/ppml_panel.csv (10 regions x 36 months, FTE in force from the shipped
# reference, negative-binomial counts y, an independent exposure n; written once by a numpy
# simulation, seed 14). Run: Rscript tests/reference/ppml_fe.R  (base R only)
d <- read.csv("tests/reference/ppml_panel.csv", stringsAsFactors = FALSE)
d$caw <- factor(d$caw, levels = sort(unique(d$caw)))
d$month <- factor(d$month, levels = sort(unique(d$month)))
mdate <- as.Date(as.character(d$month))
t <- as.numeric(format(mdate, "%Y")) * 12 + as.numeric(format(mdate, "%m"))
d$t <- (t - mean(t)) / 12
# Tighter than the default epsilon 1e-8 (Pearson's dispersion moves in the 7th digit with
# it); 1e-13 for the trend model does not converge (the deviance then changes in its last
# bits), 1e-11 does.
ctl <- glm.control(epsilon = 1e-13, maxit = 100)
ctl_trends <- glm.control(epsilon = 1e-11, maxit = 100)
show <- function(label, fit) {
  s <- summary(fit)$coefficients["log(fte)", ]
  cat(sprintf("%s: coef = %.10f, se = %.10f, dispersion = %.10f, deviance = %.8f\n",
              label, s[1], s[2], summary(fit)$dispersion, deviance(fit)))
}
show("fe", glm(y ~ caw + month + log(fte), family = quasipoisson, data = d, control = ctl))
# region trends: R aliases the last region's trend (collinear with the month effects)
show("fe_trends", glm(y ~ caw + month + caw:t + log(fte), family = quasipoisson, data = d,
                      control = ctl_trends))
show("fe_offset", glm(y ~ caw + month + log(fte) + offset(log(n)), family = quasipoisson,
                      data = d, control = ctl))
