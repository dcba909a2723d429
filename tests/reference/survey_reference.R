# Reference values from R's survey package for tests/test_design.py.
#   Rscript tests/reference/survey_reference.R     (needs r-base-core and r-cran-survey)
# Reads tests/reference/data/*.csv and writes tests/reference/survey_reference.csv:
# one row per value (case, statistic, key, value) at full precision.
suppressMessages(library(survey))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
out <- list()
put <- function(case, stat, key, value) {
  out[[length(out) + 1]] <<- data.frame(case = case, stat = stat, key = as.character(key),
                                         value = sprintf("%.17g", as.numeric(value)))
}
read <- function(name) {
  d <- read.csv(file.path(here, "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
  d$yes01 <- as.numeric(d$yes == "Yes")
  d
}
estimates <- function(case, des) {
  m <- svymean(~y, des); put(case, "mean", "y", coef(m)); put(case, "mean_se", "y", SE(m))
  t <- svytotal(~y, des); put(case, "total", "y", coef(t)); put(case, "total_se", "y", SE(t))
  p <- svymean(~yes01, des); put(case, "prop", "yes", coef(p)); put(case, "prop_se", "yes", SE(p))
  ci <- svyciprop(~yes01, des, method = "logit")
  put(case, "logit_low", "yes", confint(ci)[1]); put(case, "logit_high", "yes", confint(ci)[2])
  put(case, "degf", "all", degf(des))
  bp <- svyby(~yes01, ~grp, des, svymean, covmat = TRUE)
  ct <- svycontrast(bp, c(A = 1, B = -1))
  put(case, "diff", "A-B", coef(ct)); put(case, "diff_se", "A-B", SE(ct))
  rs <- svychisq(~grp + region, des, statistic = "F")
  put(case, "raoscott_f", "grp:region", rs$statistic); put(case, "raoscott_p", "grp:region", rs$p.value)
  put(case, "raoscott_ndf", "grp:region", rs$parameter[1]); put(case, "raoscott_ddf", "grp:region", rs$parameter[2])
  # The first-order adjustment: Pearson's X^2 (on the weighted table scaled to the sample
  # size) over the mean generalised design effect, against chi-square on (r-1)(c-1) df.
  rc <- svychisq(~grp + region, des, statistic = "Chisq")
  put(case, "pearson_x2", "grp:region", rc$statistic); put(case, "firstorder_p", "grp:region", rc$p.value)
  put(case, "firstorder_df", "grp:region", rc$parameter[1])
  by <- svyby(~y, ~grp, des, svymean)
  for (g in by$grp) {
    put(case, "domain_mean", g, by[by$grp == g, "y"]); put(case, "domain_mean_se", g, by[by$grp == g, "se"])
    sub <- subset(des, grp == g)
    ci <- svyciprop(~yes01, sub, method = "logit")
    put(case, "domain_prop", g, coef(ci))
    put(case, "domain_logit_low", g, confint(ci)[1]); put(case, "domain_logit_high", g, confint(ci)[2])
    put(case, "domain_degf", g, degf(sub))
  }
}

d <- read("stratified")
des <- svydesign(ids = ~1, strata = ~h, weights = ~w, fpc = ~fpc1, data = d)
estimates("stratified", des)
q <- svyquantile(~y, des, c(0.25, 0.5, 0.75), ci = FALSE)
for (k in 1:3) put("stratified", "quantile", c("0.25", "0.5", "0.75")[k], coef(q)[k])

d <- read("cluster1")
estimates("cluster1", svydesign(ids = ~psu, weights = ~w, fpc = ~fpc1, data = d))

d <- read("cluster2")
estimates("cluster2", svydesign(ids = ~psu + ssu, strata = ~h, weights = ~w,
                                fpc = ~fpc1 + fpc2, nest = TRUE, data = d))

# The design example (surveys/design-example) raked to region and age margins.
pop_region <- data.frame(region = c("North", "Midlands", "South"), Freq = c(3000, 2500, 4500))
pop_age <- data.frame(age = c("18-34", "35-54", "55+"), Freq = c(2800, 3600, 3600))
raked2 <- rake(svydesign(ids = ~psu + ssu, strata = ~h, weights = ~w, fpc = ~fpc1 + fpc2,
                         nest = TRUE, data = d),
               list(~region, ~age), list(pop_region, pop_age),
               control = list(maxit = 1000, epsilon = 1e-10))
w2 <- weights(raked2)
for (k in seq_along(w2)) put("cluster2_rake", "weight", d$id[k], w2[k])
# A 0/1 outcome `one` on a design (issue 17): its share, SE and logit interval overall, and
# its share and SE in each group of `by`; stat names the rows ("share", "option").
outcome <- function(stat, key, des, by) {
  m <- svymean(~one, des)
  put("cluster2_rake", stat, key, coef(m)); put("cluster2_rake", paste0(stat, "_se"), key, SE(m))
  ci <- svyciprop(~one, des, method = "logit")
  put("cluster2_rake", paste0(stat, "_logit_low"), key, confint(ci)[1])
  put("cluster2_rake", paste0(stat, "_logit_high"), key, confint(ci)[2])
  b <- svyby(~one, as.formula(paste0("~", by)), des, svymean)
  for (v in b[[by]]) {
    put("cluster2_rake", stat, paste0(key, "|", v), b[b[[by]] == v, "one"])
    put("cluster2_rake", paste0(stat, "_se"), paste0(key, "|", v), b[b[[by]] == v, "se"])
  }
}
# A single choice's distribution: each answer of grp as a share, by region, on the raked
# design (calibrated variance).
for (g in c("A", "B", "C")) outcome("share", g, update(raked2, one = as.numeric(grp == g)), "region")
# A multiple choice on the same design, made from its columns (tests/test_design.py writes the
# same as a list column "channels"): Email for age 55+ or group A in the North, Phone outside
# the South, Chat for the rest. Every respondent chose one or more, so the base is everyone.
chosen <- list(Email = quote(age == "55+" | (grp == "A" & region == "North")),
               Phone = quote(region != "South"),
               Chat = quote(!(age == "55+" | (grp == "A" & region == "North")) &
                              region == "South"))
for (o in names(chosen)) {
  outcome("option", o, eval(substitute(update(raked2, one = as.numeric(e)),
                                       list(e = chosen[[o]]))), "grp")
}

# R's tie rule for quantiles (qrule = "math"): values 1 to 10, each weighted 0.7, where the
# cumulative shares meet the probabilities only up to rounding.
ties <- svydesign(ids = ~1, weights = ~w, data = data.frame(x = 1:10, w = 0.7))
tp <- c(0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
qt <- svyquantile(~x, ties, tp, ci = FALSE)
for (k in seq_along(tp)) put("ties", "quantile", tp[k], coef(qt)[k])

# The two-stage design with no weights: R derives them from the fpcs (the population sizes of
# the stages), the product over the stages of N / n.
d <- read("cluster2")
nw <- svydesign(ids = ~psu + ssu, strata = ~h, fpc = ~fpc1 + fpc2, nest = TRUE, data = d)
estimates("cluster2_noweight", nw)
wn <- weights(nw)
for (k in seq_along(wn)) put("cluster2_noweight", "weight", d$id[k], wn[k])

# Replicate weights: JK1 from the one-stage cluster design, JKn from a stratified cluster design.
reps <- function(case, des, data) {
  rw <- weights(des, "analysis")
  colnames(rw) <- paste0("rw", seq_len(ncol(rw)))
  out_data <- cbind(data[, c("id", "grp", "y", "yes")], w = weights(des, "sampling"), rw)
  write.csv(out_data, file.path(here, "data", paste0(case, ".csv")), row.names = FALSE)
  m <- svymean(~y, des); put(case, "mean", "y", coef(m)); put(case, "mean_se", "y", SE(m))
  p <- svymean(~yes01, des); put(case, "prop_se", "yes", SE(p))
  by <- svyby(~y, ~grp, des, svymean)
  for (g in by$grp) put(case, "domain_mean_se", g, by[by$grp == g, "se"])
  put(case, "degf", "all", degf(des))
  put(case, "scale", "all", des$scale)
  for (k in seq_along(des$rscales)) put(case, "rscale", k, des$rscales[k])
}
d1 <- read("cluster1")
reps("jk1", as.svrepdesign(svydesign(ids = ~psu, weights = ~w, data = d1), type = "JK1"), d1)
d2 <- read("cluster2")
reps("jkn", as.svrepdesign(svydesign(ids = ~psu, strata = ~h, weights = ~w, data = d2),
                           type = "JKn"), d2)

d <- read("lonely")
for (opt in c("certainty", "remove", "adjust", "average")) {
  options(survey.lonely.psu = opt)
  des <- svydesign(ids = ~psu, strata = ~h, weights = ~w, data = d)
  m <- svymean(~y, des)
  put(paste0("lonely_", opt), "mean", "y", coef(m)); put(paste0("lonely_", opt), "mean_se", "y", SE(m))
  t <- svytotal(~y, des)
  put(paste0("lonely_", opt), "total", "y", coef(t)); put(paste0("lonely_", opt), "total_se", "y", SE(t))
}
options(survey.lonely.psu = "fail")

d <- read("rake")
des <- svydesign(ids = ~1, weights = ~w, data = d)
raked <- rake(des, list(~region, ~age), list(pop_region, pop_age),
              control = list(maxit = 1000, epsilon = 1e-10))
w <- weights(raked)
for (k in seq_along(w)) put("rake", "weight", d$id[k], w[k])
put("rake", "mean", "y", coef(svymean(~y, raked)))
# R's default stopping rule: control = list(maxit = 10, epsilon = 1).
raked_default <- rake(des, list(~region, ~age), list(pop_region, pop_age))
wd <- weights(raked_default)
for (k in seq_along(wd)) put("rake_default", "weight", d$id[k], wd[k])
trimmed <- trimWeights(raked, upper = 25, lower = 12, strict = TRUE)
wt <- weights(trimmed)
for (k in seq_along(wt)) put("rake_trim", "weight", d$id[k], wt[k])

# Issue 15: standard errors, design effects (R's deff = "replace": against simple random
# sampling with replacement of the same size), totals and counts, quantiles with their
# Woodruff intervals (svyquantile's defaults: qrule = "math", interval.type = "mean"),
# overall and in each domain, under each kind of design. Domains are subsets, as svyby makes.
precision <- function(case, des, quantiles = TRUE) {
  cell <- function(key, des) {
    m <- svymean(~y, des, deff = "replace")
    put(case, "mean", key, coef(m)); put(case, "mean_se", key, SE(m))
    put(case, "mean_deff", key, deff(m))
    p <- svymean(~yes01, des, deff = "replace")
    put(case, "prop", key, coef(p)); put(case, "prop_se", key, SE(p))
    put(case, "prop_deff", key, deff(p))
    t <- svytotal(~y, des, deff = "replace")
    put(case, "total", key, coef(t)); put(case, "total_se", key, SE(t))
    put(case, "total_deff", key, deff(t))
    k <- svytotal(~yes01, des, deff = "replace")
    put(case, "count", key, coef(k)); put(case, "count_se", key, SE(k))
    put(case, "count_deff", key, deff(k))
    put(case, "degf", key, degf(des))
    if (quantiles) {
      q <- svyquantile(~y, des, c(0.25, 0.5, 0.75))$y
      for (j in 1:3) {
        pk <- paste(key, c("0.25", "0.5", "0.75")[j])
        put(case, "quantile", pk, q[j, 1]); put(case, "quantile_low", pk, q[j, 2])
        put(case, "quantile_high", pk, q[j, 3]); put(case, "quantile_se", pk, q[j, 4])
      }
    }
  }
  cell("All", des)
  for (g in sort(unique(des$variables$grp))) cell(g, subset(des, grp == g))
}
d <- read("stratified")
precision("p_design", svydesign(ids = ~1, strata = ~h, weights = ~w, fpc = ~fpc1, data = d))
d <- read("cluster2")
precision("p_cluster2", svydesign(ids = ~psu + ssu, strata = ~h, weights = ~w,
                                  fpc = ~fpc1 + fpc2, nest = TRUE, data = d))
d <- read("rake")
precision("p_srs", svydesign(ids = ~1, data = d))
precision("p_weights", svydesign(ids = ~1, weights = ~w, data = d))
raked_p <- rake(svydesign(ids = ~1, weights = ~w, data = d), list(~region, ~age),
                list(pop_region, pop_age))
precision("p_raked", raked_p)
# The same raked weights treated as fixed sampling weights (rake.variance: fixed).
d$rw <- weights(raked_p)
precision("p_raked_fixed", svydesign(ids = ~1, weights = ~rw, data = d))
d <- read("jk1")
nrep <- length(grep("^rw[0-9]+$", names(d)))  # JK1: scale (R - 1) / R
precision("p_jk1", svrepdesign(data = d, weights = ~w, repweights = "rw[0-9]+", type = "JK1",
                               combined.weights = TRUE, scale = (nrep - 1) / nrep),
          quantiles = FALSE)
# The tie case with its interval: values 1 to 10 each weighted 0.7.
qi <- svyquantile(~x, ties, tp)$x
for (k in seq_along(tp)) {
  put("ties", "quantile_low", tp[k], qi[k, 2]); put("ties", "quantile_high", tp[k], qi[k, 3])
}

write.csv(do.call(rbind, out), file.path(here, "survey_reference.csv"), row.names = FALSE,
          quote = TRUE)
cat("wrote", file.path(here, "survey_reference.csv"), "\n")
