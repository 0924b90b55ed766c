# Reference values for pipeline.stats.logistic (CR2, standardised shares),
# pipeline.stats.multiplicity (Holm) and pipeline.stats.funnel (Poisson limits).
# Run from the repository root:
#   Rscript tests/reference/stats_cr2_margins.R > tests/reference/stats_cr2_margins.py
# (the output is the Python module the tests load; matrices are row-major lists of rows)
# R 4.2 (Debian bookworm), clubSandwich 0.5.8, emmeans 1.8.4, sandwich 3.0.2.
# Data: R datasets::infert (Trichopoulos et al. 1976), written to infert.csv here.
suppressPackageStartupMessages({library(clubSandwich); library(emmeans)})
options(digits = 15)
d <- infert
d$cl <- d$stratum %% 8  # 8 clusters of whole matched sets (stratum 1..83)
write.csv(d[, c("education", "age", "parity", "induced", "spontaneous", "stratum", "case")],
          "tests/reference/infert.csv", row.names = FALSE)
fmt <- function(x) ifelse(is.na(x), "None", trimws(formatC(x, digits = 15, format = "g")))
lines3 <- function(v, indent) {  # three numbers a line (ruff's 100 columns)
  chunks <- split(fmt(v), ceiling(seq_along(v) / 3))
  paste0(indent, vapply(chunks, paste, "", collapse = ", "), collapse = ",\n")
}
out <- function(name, x) {
  x <- unname(x)
  body <- if (is.matrix(x)) paste0(apply(x, 1, function(r) paste0("    [\n", lines3(r, "        "),
                                                                   ",\n    ]")), collapse = ",\n")
          else lines3(x, "    ")
  cat(name, " = [\n", body, ",\n]\n", sep = "")
}
cat('"""Reference values written by stats_cr2_margins.R (R 4.2, clubSandwich 0.5.8,\n',
    'emmeans 1.8.4) on R datasets::infert (infert.csv). Generated file: do not edit;\n',
    'tolerances and the meaning of each value are in the R script and the tests."""\n\n', sep = "")

# --- CR2 by its matrix formula in the whitened metric (Bell & McCaffrey 2002):
# Z = W^1/2 X, Pearson residuals r = W^-1/2 (y - mu) (W = working weights),
# meat = sum_g Z_g' (I - H_gg)^+1/2 r_g r_g' (I - H_gg)^+1/2 Z_g, H_gg = Z_g M Z_g',
# M = (Z'Z)^-1, V = M meat M; ^+ = pseudo-inverse square root (eigenvalues <= 1e-12 -> 0,
# as clubSandwich's matrix_power). For OLS (W = I) this is clubSandwich's CR2.
cr2 <- function(X, w, r, cl) {
  Z <- X * sqrt(w); M <- solve(crossprod(Z)); meat <- 0
  for (g in sort(unique(cl))) {
    i <- cl == g; Zg <- Z[i, , drop = FALSE]
    e <- eigen(diag(sum(i)) - Zg %*% M %*% t(Zg), symmetric = TRUE)
    A <- e$vectors %*% (ifelse(e$values > 1e-12, e$values^-0.5, 0) * t(e$vectors))
    u <- t(Zg) %*% A %*% r[i]; meat <- meat + u %*% t(u)
  }
  M %*% meat %*% M
}
f <- case ~ education + age + parity + induced + spontaneous
# tight convergence: summary.glm's covariance uses the weights of the last IRLS step,
# which with the default epsilon 1e-8 are 1e-5 (relative) away from those at the estimate
tight <- glm.control(epsilon = 1e-14, maxit = 100)
fit <- glm(f, family = binomial, data = d, control = tight)
X <- model.matrix(fit); p <- fitted(fit); w <- p * (1 - p)
out("LOGIT_COEF", coef(fit)); out("LOGIT_SE", sqrt(diag(vcov(fit))))
V2 <- cr2(X, w, (d$case - p) / sqrt(w), d$cl)
out("LOGIT_CR2_COV", V2)
out("CLUBSANDWICH_GLM_CR2_SE", sqrt(diag(vcovCR(fit, cluster = d$cl, type = "CR2"))))

# fixed effects for the clusters, CR2 by cluster (covariate terms only are meaningful)
d$clf <- factor(d$cl)
fit_fe <- glm(update(f, . ~ . + clf), family = binomial, data = d, control = tight)
X <- model.matrix(fit_fe); p <- fitted(fit_fe); w <- p * (1 - p)
out("FE_COEF", coef(fit_fe)); out("FE_SE", sqrt(diag(vcov(fit_fe))))
out("FE_CR2_SE", sqrt(diag(cr2(X, w, (d$case - p) / sqrt(w), d$cl))))

# OLS: our formula with unit weights against clubSandwich's CR2 (same estimator there)
lfit <- lm(f, data = d)
out("OLS_CLUBSANDWICH_CR2_COV", as.matrix(vcovCR(lfit, cluster = d$cl, type = "CR2")))
out("OLS_CR2_COV_FORMULA", cr2(model.matrix(lfit), rep(1, nrow(d)), residuals(lfit), d$cl))
lfit_fe <- lm(update(f, . ~ . + clf), data = d)
out("OLS_FE_CLUBSANDWICH_CR2_SE", sqrt(diag(as.matrix(vcovCR(lfit_fe, cluster = d$cl, type = "CR2")))))

# --- standardised shares ("margins, at()"): everyone set to a level of education,
# the rest as observed; delta method with a central-difference numerical gradient.
share <- function(b, level, Xfun) mean(plogis(Xfun(level) %*% b))
Xat <- function(level) { dd <- d; dd$education <- factor(level, levels = levels(d$education))
  model.matrix(f, dd) }
grad <- function(fn, b, h = 1e-6) sapply(seq_along(b), function(j) {
  e <- rep(0, length(b)); e[j] <- h; (fn(b + e) - fn(b - e)) / (2 * h) })
b <- coef(fit)
for (v in list(list("MODEL", vcov(fit)), list("CR2", V2))) {
  s <- se <- c()
  for (lv in levels(d$education)) {
    s <- c(s, share(b, lv, Xat)); g <- grad(function(bb) share(bb, lv, Xat), b)
    se <- c(se, sqrt(drop(t(g) %*% v[[2]] %*% g)))
  }
  out(paste0("SHARES_", v[[1]]), s); out(paste0("SHARES_SE_", v[[1]]), se)
}
# independent implementation: emmeans' counterfactual reference grid
em <- summary(emmeans(fit, ~education, counterfactuals = "education", regrid = "response"))
out("EMMEANS_PROB", em$prob); out("EMMEANS_SE", em$SE)

# --- Holm (p.adjust)
pv <- c(0.01, 0.04, 0.03, 0.005, 0.20, NA, 0.5)
out("HOLM_P", pv); out("HOLM_ADJ", p.adjust(pv, method = "holm"))

# --- Spiegelhalter (2005) exact Poisson funnel limits for O/E around 1, with his
# interpolation: r_p = qpois(p, E); limit = (r_p - (F(r_p) - p) / (F(r_p) - F(r_p - 1))) / E,
# truncated at 0 (a lower limit below 0 means no count can fall below it)
lim <- function(E, p) { r <- qpois(p, E)
  pmax(0, (r - (ppois(r, E) - p) / (ppois(r, E) - ppois(r - 1, E))) / E) }  # a ratio is >= 0
E <- c(0.5, 1, 2.5, 5, 10, 20.3, 50, 100, 1000)
out("FUNNEL_E", E)
for (p in c(0.025, 0.975, 0.001, 0.999)) out(paste0("FUNNEL_", sub("0\\.", "", p)), lim(E, p))
