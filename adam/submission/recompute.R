#!/usr/bin/env Rscript
# Reviewer's check of an adamant bundle: recomputes every statistic of ard/ard.csv from the
# bundle's ADaM XPT files with base R, survival and foreign (read.xport) only, and prints,
# per statistic, adamant's value, R's value and whether they agree to 1e-6 (relative to
# max(1, |value|); both empty = not estimable in both). Exit status 0 only when every
# statistic it recomputes agrees and every statistic it does not recompute is one of the
# kinds listed as such, with the reason, in the output.
#
#   Rscript recompute.R [BUNDLE_FOLDER]      (default: the folder of this script)
#
# The analyses (population flag, parameter, conditions, treatment variable, strata) are
# written below by adamant from the study specification; the options of each statistic
# (CI type, alpha, ties, strata, contrasts) are read from the ARD itself.
suppressPackageStartupMessages({
  library(survival)
  library(foreign)
})

TOL <- 1e-6
args <- commandArgs(trailingOnly = TRUE)
script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
bundle <- if (length(args)) args[1] else if (length(script)) dirname(normalizePath(script[1])) else "."

read_xpt <- function(name) {
  path <- file.path(bundle, "adam", paste0(name, ".xpt"))
  if (!file.exists(path)) return(NULL)
  d <- read.xport(path)
  for (v in names(d)) if (is.character(d[[v]])) d[[v]][d[[v]] == ""] <- NA
  d
}
ard <- read.csv(file.path(bundle, "ard", "ard.csv"), colClasses = "character",
                na.strings = character(0), check.names = FALSE)
ard$value <- suppressWarnings(as.numeric(ard$stat_value))
ard$tp <- suppressWarnings(as.numeric(ard$timepoint))
adsl <- read_xpt("adsl")
adtte <- read_xpt("adtte")

# ---------------------------------------------------------------------------- analyses
## @ANALYSES@

# ---------------------------------------------------------------------------- helpers
parse_opts <- function(s) {
  if (is.na(s) || s == "") return(list())
  kv <- strsplit(strsplit(s, ";", fixed = TRUE)[[1]], "=", fixed = TRUE)
  setNames(lapply(kv, function(x) paste(x[-1], collapse = "=")), vapply(kv, `[`, "", 1))
}
opt <- function(o, key, default) if (!is.null(o[[key]])) o[[key]] else default
opt_strata <- function(o) if (is.null(o$strata) || o$strata == "") character(0) else strsplit(o$strata, ",")[[1]]

where_mask <- function(d, where) {
  m <- rep(TRUE, nrow(d))
  for (v in names(where)) {
    w <- where[[v]]
    x <- d[[v]]
    if (identical(w, "<present>")) m <- m & !is.na(x)
    else if (identical(w, "<missing>")) m <- m & is.na(x)
    else m <- m & (x %in% w)
  }
  m
}

tte_data <- function(an) {
  d <- adtte[adtte$PARAMCD %in% an$paramcd, , drop = FALSE]
  for (v in an$needs) {
    if (!(v %in% names(d)) && !is.null(adsl) && v %in% names(adsl))
      d[[v]] <- adsl[[v]][match(d$USUBJID, adsl$USUBJID)]
  }
  if (!is.null(an$popflag)) d <- d[d[[an$popflag]] %in% "Y", , drop = FALSE]
  d <- d[where_mask(d, an$where), , drop = FALSE]
  d$EVENT <- as.numeric(d$CNSR == 0)
  d$TRT <- as.character(d[[an$trt]])
  d
}

adsl_data <- function(an) {
  d <- adsl
  if (!is.null(an$popflag)) d <- d[d[[an$popflag]] %in% "Y", , drop = FALSE]
  d$TRT <- as.character(d[[an$group_var]])
  d
}

strata_factor <- function(d, strata) {
  if (!length(strata)) return(NULL)
  interaction(lapply(strata, function(v) as.character(d[[v]])), drop = TRUE, lex.order = TRUE)
}

# a Cox fit and whether R flags a coefficient as possibly infinite (monotone likelihood)
cox_fit <- function(d, X, strata, ties) {
  sg <- strata_factor(d, strata)
  flagged <- FALSE
  fit <- withCallingHandlers(
    tryCatch(if (is.null(sg)) coxph(Surv(d$AVAL, d$EVENT) ~ X, ties = ties)
             else coxph(Surv(d$AVAL, d$EVENT) ~ X + strata(sg), ties = ties),
             error = function(e) NULL),
    warning = function(w) { flagged <<- TRUE; invokeRestart("muffleWarning") })
  if (!is.null(fit) && (any(!is.finite(coef(fit))) || any(!is.finite(diag(fit$var))))) flagged <- TRUE
  list(fit = fit, flagged = flagged)
}

dummies <- function(trt, arms, ref) {
  others <- setdiff(arms, ref)
  X <- sapply(others, function(a) as.numeric(trt == a))
  X <- matrix(X, ncol = length(others))
  colnames(X) <- others
  X
}

cox_stats <- function(cf, arm, alpha) {
  fit <- cf$fit
  s <- summary(fit)
  j <- which(colnames(fit$var) == paste0("X", arm) | names(coef(fit)) == paste0("X", arm))
  if (!length(j)) j <- 1
  b <- unname(coef(fit)[j]); se <- unname(sqrt(diag(fit$var))[j])
  z <- qnorm(1 - alpha / 2)
  wald <- c(hr = exp(b), hr_lcl = exp(b - z * se), hr_ucl = exp(b + z * se), log_hr = b,
            se_log_hr = se, p_value = 2 * pnorm(-abs(b / se)))
  if (cf$flagged) wald[] <- NA
  c(wald, p_score = unname(s$sctest["pvalue"]), p_lr = unname(s$logtest["pvalue"]))
}

arms_of <- function(label) strsplit(label, " vs ", fixed = TRUE)[[1]]

# ---------------------------------------------------------------------------- methods
km_rows <- function(d, A, an) {
  out <- rep(NA_real_, nrow(A)); done <- rep(FALSE, nrow(A))
  for (i in seq_len(nrow(A))) {
    r <- A[i, ]
    o <- parse_opts(r$options)
    if (r$subgroup_var != "") {            # subgroup analysis: n and events per arm and level
      x <- as.character(d[[r$subgroup_var]])
      m <- d$TRT == r$group & !is.na(x) & x == r$subgroup
      out[i] <- if (r$stat_name == "n") sum(m) else sum(d$EVENT[m])
      done[i] <- TRUE
      next
    }
    a <- d[d$TRT == r$group, , drop = FALSE]
    ct <- opt(o, "conf_type", "log-log"); alpha <- as.numeric(opt(o, "alpha", "0.05"))
    rev <- r$method == "revkm"
    fit <- survfit(Surv(a$AVAL, if (rev) 1 - a$EVENT else a$EVENT) ~ 1, conf.type = ct,
                   conf.int = 1 - alpha)
    s <- r$stat_name
    if (r$method == "km-curve") {
      k <- which(abs(fit$time - r$tp) < 1e-9)
      out[i] <- if (!length(k)) NA else if (s == "surv") fit$surv[k] else if (s == "n_censor") fit$n.censor[k] else NA
    } else if (r$method == "rmst") {
      tab <- summary(fit, rmean = r$tp)$table
      out[i] <- if (s == "rmst") unname(tab["rmean"]) else unname(tab["se(rmean)"])
    } else if (s %in% c("n", "n_events", "n_censored")) {
      out[i] <- switch(s, n = nrow(a), n_events = sum(a$EVENT), n_censored = sum(1 - a$EVENT))
    } else if (s %in% c("median", "median_lcl", "median_ucl", "median_fu", "median_fu_lcl", "median_fu_ucl")) {
      q <- quantile(fit, 0.5)
      out[i] <- unname(if (grepl("lcl", s)) q$lower else if (grepl("ucl", s)) q$upper else q$quantile)
    } else if (s %in% c("q25", "q75")) {
      out[i] <- unname(quantile(fit, if (s == "q25") 0.25 else 0.75)$quantile)
    } else if (s %in% c("surv", "surv_lcl", "surv_ucl", "n_risk")) {
      sm <- summary(fit, times = r$tp, extend = TRUE)
      past <- r$tp > max(fit$time) && tail(fit$surv, 1) > 0   # curve ended censored: not estimable
      out[i] <- switch(s, n_risk = sm$n.risk, surv = if (past) NA else sm$surv,
                       surv_lcl = if (past) NA else sm$lower, surv_ucl = if (past) NA else sm$upper)
    } else next
    done[i] <- TRUE
  }
  list(value = out, done = done)
}

logrank_rows <- function(d, A, an) {
  out <- rep(NA_real_, nrow(A)); done <- rep(TRUE, nrow(A))
  for (i in seq_len(nrow(A))) {
    r <- A[i, ]
    arms <- arms_of(r$group)
    a <- d[d$TRT %in% arms, , drop = FALSE]
    sg <- strata_factor(a, opt_strata(parse_opts(r$options)))
    f <- if (is.null(sg)) survdiff(Surv(a$AVAL, a$EVENT) ~ a$TRT)
         else survdiff(Surv(a$AVAL, a$EVENT) ~ a$TRT + strata(sg))
    df <- sum(f$n > 0) - 1
    out[i] <- switch(r$stat_name, chisq = f$chisq, df = df,
                     p_value = pchisq(f$chisq, df, lower.tail = FALSE))
  }
  list(value = out, done = done)
}

# the Cox model of a contrast row: its two arms (reference the second), or all arms against
# the study's reference (contrasts=joint, or three arms named), with the row's strata and ties;
# fitted once per arms and options in ``cache`` (an environment)
contrast_fit <- function(d, an, arms, o, options, cache) {
  joint <- identical(o$contrasts, "joint") || length(arms) > 2
  used <- if (joint) an$arms else arms
  key <- paste(c(used, options), collapse = "|")
  if (is.null(cache[[key]])) {
    a <- d[d$TRT %in% used, , drop = FALSE]
    ref <- if (joint) an$ref else arms[2]
    cache[[key]] <- cox_fit(a, dummies(a$TRT, used, ref), opt_strata(o), opt(o, "ties", "efron"))
  }
  cache[[key]]
}

cox_rows <- function(d, A, an) {
  out <- rep(NA_real_, nrow(A)); done <- rep(TRUE, nrow(A))
  cache <- new.env()
  for (i in seq_len(nrow(A))) {
    r <- A[i, ]
    o <- parse_opts(r$options)
    ties <- opt(o, "ties", "efron"); alpha <- as.numeric(opt(o, "alpha", "0.05"))
    strata <- opt_strata(o)
    arms <- arms_of(r$group)
    if (r$subgroup_var != "" && r$stat_name != "p_interaction") {          # HR within a level
      x <- as.character(d[[r$subgroup_var]])
      a <- d[!is.na(x) & x == r$subgroup, , drop = FALSE]
      ev <- tapply(a$EVENT, factor(a$TRT, levels = an$arms), sum)
      if (any(is.na(ev) | ev == 0)) { out[i] <- NA; next }
      cf <- cox_fit(a, dummies(a$TRT, an$arms, an$ref), strata, ties)
      out[i] <- if (is.null(cf$fit) || cf$flagged) NA else cox_stats(cf, arms[1], alpha)[[r$stat_name]]
      next
    }
    if (r$stat_name == "p_interaction") {                                  # treatment x subgroup, LR
      x <- as.character(d[[r$subgroup_var]])
      a <- d[!is.na(x), , drop = FALSE]
      sub <- factor(x[!is.na(x)])
      if (nlevels(sub) < 2) { out[i] <- NA; next }
      T <- dummies(a$TRT, an$arms, an$ref)
      S <- sapply(levels(sub)[-1], function(l) as.numeric(sub == l))
      S <- matrix(S, nrow = nrow(a))
      I <- do.call(cbind, lapply(seq_len(ncol(T)), function(j) T[, j] * S))
      f0 <- cox_fit(a, cbind(T, S), strata, ties)
      f1 <- cox_fit(a, cbind(T, S, I), strata, ties)
      if (is.null(f0$fit) || is.null(f1$fit) || f0$flagged || f1$flagged) { out[i] <- NA; next }
      out[i] <- pchisq(2 * (f1$fit$loglik[2] - f0$fit$loglik[2]), ncol(I), lower.tail = FALSE)
      next
    }
    cf <- contrast_fit(d, an, arms, o, r$options, cache)
    if (is.null(cf$fit)) { out[i] <- NA; next }
    st <- cox_stats(cf, arms[1], alpha)
    out[i] <- st[[r$stat_name]]
  }
  list(value = out, done = done)
}

# proportional hazards: cox.zph (GLOBAL: the treatment term) of the contrast's Cox model, or of
# the model of all arms (contrasts=joint), with the ARD's transform, ties and strata
zph_rows <- function(d, A, an) {
  out <- rep(NA_real_, nrow(A)); done <- rep(TRUE, nrow(A))
  cache <- new.env()
  for (i in seq_len(nrow(A))) {
    r <- A[i, ]
    o <- parse_opts(r$options)
    cf <- contrast_fit(d, an, arms_of(r$group), o, r$options, cache)
    if (is.null(cf$fit) || cf$flagged) next
    z <- cox.zph(cf$fit, transform = opt(o, "transform", "km"))$table["GLOBAL", ]
    out[i] <- switch(r$stat_name, chisq = z[["chisq"]], df = z[["df"]], p_value = z[["p"]])
  }
  list(value = out, done = done)
}

count_rows <- function(an, A) {
  d <- adsl_data(an)
  out <- rep(NA_real_, nrow(A)); done <- rep(TRUE, nrow(A))
  for (i in seq_len(nrow(A))) {
    r <- A[i, ]
    inarm <- if (r$group == "Total") rep(TRUE, nrow(d)) else d$TRT %in% r$group
    if (r$method == "summary") {
      v <- suppressWarnings(as.numeric(d[[r$subgroup_var]][inarm]))
      v <- v[!is.na(v)]
      out[i] <- switch(r$stat_name, n = length(v), mean = mean(v), sd = sd(v), median = median(v),
                       q1 = unname(quantile(v, 0.25, type = 7)), q3 = unname(quantile(v, 0.75, type = 7)),
                       min = min(v), max = max(v))
      next
    }
    if (an$type == "baseline") {
      x <- as.character(d[[r$subgroup_var]]); x[is.na(x)] <- "Missing"
      sel <- x == r$subgroup
    } else {
      row <- Filter(function(rw) rw$label == r$subgroup, an$rows)
      if (!length(row)) { done[i] <- FALSE; next }
      sel <- where_mask(d, row[[1]]$where)
    }
    denom <- sum(inarm); n <- sum(inarm & sel)
    out[i] <- switch(r$stat_name, n = n, denom = denom, pct = if (denom > 0) 100 * n / denom else NA)
  }
  list(value = out, done = done)
}

# IPCW and MSM (analyses of type "ipcw" / "msm"): adamant's person-period frame rebuilt from
# the ADaM, as adam/analysis.py (_switch_frame) builds it:
#  * the analysis records: ADTTE rows of the PARAMCD in the population and `where` (as for a
#    TTE analysis), in ADTTE's order; EVENT = (CNSR == 0);
#  * switch day = ADSL switch date (e.g. NACTDT, next anti-cancer therapy) - STARTDT + 1
#    (RANDDT where ADTTE has no STARTDT); no switch date: never switches;
#  * follow-up (0, AVAL] cut into periods of period_months * 30.4375 days (period_months from
#    the ARD's options): period k is (k * P, min((k + 1) * P, AVAL)], at least one period;
#    EVENT is 1 on the last period of a subject with an event;
#  * SWITCH = 1 on the periods whose stop is on or after the switch day;
#  * baseline covariates of the weight models: PSTART = period start / 30.4375 (months) and
#    a 0/1 column for each level but the first of each `covariates` variable (missing values
#    are a level of their own); time-varying: TV_<PARAMCD> = 1 on periods that start on or
#    after the day of that parameter's event (e.g. progression), 0 when censored.
# Weight models: glm(binomial) with glm.control(epsilon = 1e-12, maxit = 50), adamant's IRLS
# convergence rule (|deviance change| <= 1e-12 * (|deviance| + 0.1)):
#  * IPCW: on the periods not yet switched plus the first switched one, SWITCH ~ trt +
#    baseline (numerator) and + time-varying (denominator), trt = 1 for the non-reference
#    arm; switched periods are dropped (follow-up censored at the switch) and a kept period
#    k has sw = prod_{j <= k} (1 - p_num_j) / (1 - p_den_j);
#  * MSM: on all periods, SWITCH ~ previous period's SWITCH (0 at the first) + ARM +
#    baseline (numerator) and + time-varying (denominator); sw = prod_{j <= k} f_num / f_den
#    with f = p when SWITCH = 1, else 1 - p.
# Outcome: coxph(Surv(START, STOP, EVENT) ~ trt (IPCW) or ~ SWITCH + ARM (MSM, the ARM
# coefficient reported), weights = sw, cluster = subject, ties = the ARD's ties [+ strata]):
# HR, robust Wald p and, without a bootstrap, the robust Wald CI.
glm_p <- function(y, X) {
  f <- suppressWarnings(glm.fit(cbind(1, X), y, family = binomial(),
                                control = glm.control(epsilon = 1e-12, maxit = 50)))
  if (!f$converged) stop("weight model did not converge")
  f$fitted.values
}

level_dummies <- function(x) {
  x <- as.character(x); x[is.na(x)] <- "<missing>"
  lv <- sort(unique(x), method = "radix")
  X <- vapply(lv[-1], function(l) as.numeric(x == l), numeric(length(x)))
  matrix(X, nrow = length(x))
}

switch_frame <- function(an, period, strata) {
  d <- tte_data(an)
  start_dt <- if ("STARTDT" %in% names(d)) d$STARTDT else adsl$RANDDT[match(d$USUBJID, adsl$USUBJID)]
  switch_day <- adsl[[an$switch_date]][match(d$USUBJID, adsl$USUBJID)] - start_dt + 1
  cnt <- pmax(ceiling(d$AVAL / period), 1)
  row <- rep(seq_len(nrow(d)), cnt)
  k <- sequence(cnt) - 1
  L <- data.frame(ID = d$USUBJID[row], TRT = d$TRT[row], START = k * period)
  L$STOP <- pmin(L$START + period, d$AVAL[row])
  L$EVENT <- as.numeric(k == cnt[row] - 1 & d$EVENT[row] == 1)
  L$SWITCH <- as.numeric(!is.na(switch_day[row]) & switch_day[row] <= L$STOP)
  base <- cbind(PSTART = L$START / an$days_per_month,
                do.call(cbind, c(list(matrix(0, nrow(L), 0)),
                                 lapply(an$covariates, function(v) level_dummies(d[[v]])[row, , drop = FALSE]))))
  tv <- do.call(cbind, c(list(matrix(0, nrow(L), 0)), lapply(an$time_varying, function(p) {
    e <- adtte[adtte$PARAMCD %in% p & adtte$CNSR %in% 0, ]
    day <- e$AVAL[match(d$USUBJID, e$USUBJID)][row]
    as.numeric(!is.na(day) & day <= L$START)
  })))
  for (v in strata) L[[v]] <- as.character(d[[v]])[row]
  o <- order(L$ID, L$START, method = "radix")
  list(L = L[o, , drop = FALSE], base = base[o, , drop = FALSE], tv = tv[o, , drop = FALSE])
}

previous <- function(x, id) ave(x, id, FUN = function(s) c(0, s[-length(s)]))

switching_fit <- function(an, r, o) {
  period <- as.numeric(opt(o, "period_months", "1")) * an$days_per_month
  arms <- arms_of(r$group)
  strata <- opt_strata(o)
  S <- switch_frame(an, period, strata)
  L <- S$L
  if (an$type == "ipcw") {
    keep_rows <- L$SWITCH == 0 | previous(L$SWITCH, L$ID) == 0
    L <- L[keep_rows, , drop = FALSE]
    trt <- as.numeric(L$TRT == arms[1])
    Xn <- cbind(trt, S$base[keep_rows, , drop = FALSE])
    p_num <- glm_p(L$SWITCH, Xn)
    p_den <- glm_p(L$SWITCH, cbind(Xn, S$tv[keep_rows, , drop = FALSE]))
    kept <- L$SWITCH == 0
    L <- L[kept, , drop = FALSE]
    L$trt <- trt[kept]
    L$sw <- ave((1 - p_num[kept]) / (1 - p_den[kept]), L$ID, FUN = cumprod)
    rhs <- "trt"; coef_name <- "trt"
  } else {
    L$ARM <- as.numeric(L$TRT == arms[1])
    Xn <- cbind(previous(L$SWITCH, L$ID), L$ARM, S$base)
    p_num <- glm_p(L$SWITCH, Xn)
    p_den <- glm_p(L$SWITCH, cbind(Xn, S$tv))
    ratio <- ifelse(L$SWITCH == 1, p_num / p_den, (1 - p_num) / (1 - p_den))
    L$sw <- ave(ratio, L$ID, FUN = cumprod)
    rhs <- "SWITCH + ARM"; coef_name <- "ARM"
  }
  if (length(strata)) {
    L$SG <- strata_factor(L, strata)
    rhs <- paste(rhs, "+ strata(SG)")
  }
  flagged <- FALSE
  fit <- withCallingHandlers(
    coxph(as.formula(paste("Surv(START, STOP, EVENT) ~", rhs)), data = L, weights = sw,
          cluster = ID, ties = opt(o, "ties", "efron")),
    warning = function(w) { flagged <<- TRUE; invokeRestart("muffleWarning") })
  b <- unname(coef(fit)[coef_name]); se <- sqrt(unname(diag(fit$var))[match(coef_name, names(coef(fit)))])
  if (flagged || !is.finite(b) || !is.finite(se)) return(c(hr = NA, hr_lcl = NA, hr_ucl = NA, p_value = NA))
  z <- qnorm(1 - as.numeric(opt(o, "alpha", "0.05")) / 2)
  c(hr = exp(b), hr_lcl = exp(b - z * se), hr_ucl = exp(b + z * se), p_value = 2 * pnorm(-abs(b / se)))
}

switching_rows <- function(an, A) {
  out <- rep(NA_real_, nrow(A)); done <- rep(TRUE, nrow(A)); reason <- rep("", nrow(A))
  cache <- list()
  for (i in seq_len(nrow(A))) {
    r <- A[i, ]
    o <- parse_opts(r$options)
    if (as.numeric(opt(o, "n_boot", "0")) > 0 && r$stat_name %in% c("hr_lcl", "hr_ucl")) {
      done[i] <- FALSE; reason[i] <- "bootstrap"; next
    }
    key <- paste(r$group, r$options)
    if (is.null(cache[[key]])) cache[[key]] <- tryCatch(switching_fit(an, r, o), error = function(e) {
      message(sprintf("%s: %s", an$id, conditionMessage(e)))   # e.g. a weight model not converging
      c(hr = NA, hr_lcl = NA, hr_ucl = NA, p_value = NA)
    })
    out[i] <- cache[[key]][[r$stat_name]]
  }
  list(value = out, done = done, reason = reason)
}

# statistics listed as not recomputed, by reason (rows carry the reason's name)
NOT_RECOMPUTED <- c(
  bootstrap = paste("bootstrap percentile limits depend on numpy's random stream; R's own",
                    "bootstrap differs (the HR and its robust Wald p are recomputed)"))

# ---------------------------------------------------------------------------- run
ard$r_value <- NA_real_
ard$status <- ""
ard$reason <- ""
for (an in ANALYSES) {
  rows <- which(ard$analysis_id == an$id)
  if (!length(rows)) next
  A <- ard[rows, , drop = FALSE]
  res <- list(value = rep(NA_real_, nrow(A)), done = rep(FALSE, nrow(A)))
  if (an$type %in% c("tte", "subgroup")) {
    d <- tte_data(an)
    for (m in unique(A$method)) {
      k <- which(A$method == m)
      part <- switch(m, km = , `km-curve` = , revkm = , rmst = km_rows(d, A[k, ], an),
                     logrank = logrank_rows(d, A[k, ], an), cox = cox_rows(d, A[k, ], an),
                     zph = zph_rows(d, A[k, ], an), NULL)
      if (!is.null(part)) { res$value[k] <- part$value; res$done[k] <- part$done }
    }
  } else if (an$type %in% c("count", "baseline")) {
    res <- count_rows(an, A)
  } else if (an$type %in% c("ipcw", "msm")) {
    res <- switching_rows(an, A)
  }
  ard$r_value[rows] <- res$value
  ard$status[rows] <- ifelse(res$done, "computed", "")
  if (!is.null(res$reason)) ard$reason[rows] <- res$reason
}

agree <- function(a, r) (is.na(a) & is.na(r)) |
  (!is.na(a) & !is.na(r) & abs(a - r) <= TOL * pmax(1, abs(a)))
known <- ard$reason %in% names(NOT_RECOMPUTED)
ard$status[ard$status == "computed"] <- ifelse(agree(ard$value, ard$r_value)[ard$status == "computed"],
                                               "agrees", "DIFFERS")
ard$status[ard$status == "" & known] <- "not recomputed (listed)"
ard$status[ard$status == ""] <- "NOT RECOMPUTED"
fmt <- function(x) ifelse(is.na(x), "NA", formatC(x, digits = 15, format = "g"))
label <- paste(ard$analysis_id, ard$method, ard$group,
               ifelse(ard$subgroup_var != "" | ard$subgroup != "", paste0("[", ard$subgroup_var, "=", ard$subgroup, "]"), ""),
               ifelse(is.na(ard$tp), "", paste0("t=", ard$timepoint)), ard$stat_name)
cat(sprintf("%s | adamant %s | R %s | %s\n", label, fmt(ard$value), fmt(ard$r_value), ard$status), sep = "")
for (m in intersect(names(NOT_RECOMPUTED), unique(ard$reason))) {
  k <- ard$reason == m & ard$status == "not recomputed (listed)"
  what <- unique(paste(ard$analysis_id[k], ard$method[k], ard$stat_name[k]))
  cat(sprintf("not recomputed: %d statistic(s) (%s): %s\n", sum(k), paste(what, collapse = ", "),
              NOT_RECOMPUTED[[m]]))
}
n_agree <- sum(ard$status == "agrees")
n_diff <- sum(ard$status == "DIFFERS")
n_listed <- sum(ard$status == "not recomputed (listed)")
n_missing <- sum(ard$status == "NOT RECOMPUTED")
cat(sprintf("SUMMARY: %d statistics; %d recomputed, %d agree to %g, %d differ; %d not recomputed (listed with the reason); %d not recomputed without a reason\n",
            nrow(ard), n_agree + n_diff, n_agree, TOL, n_diff, n_listed, n_missing))
quit(status = if (n_diff == 0 && n_missing == 0) 0 else 1)
