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

cox_rows <- function(d, A, an) {
  out <- rep(NA_real_, nrow(A)); done <- rep(TRUE, nrow(A))
  cache <- list()
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
    joint <- identical(o$contrasts, "joint") || length(arms) > 2
    used <- if (joint) an$arms else arms
    key <- paste(c(used, r$options), collapse = "|")
    if (is.null(cache[[key]])) {
      a <- d[d$TRT %in% used, , drop = FALSE]
      ref <- if (joint) an$ref else arms[2]
      cache[[key]] <- cox_fit(a, dummies(a$TRT, used, ref), strata, ties)
    }
    cf <- cache[[key]]
    if (is.null(cf$fit)) { out[i] <- NA; next }
    st <- cox_stats(cf, arms[1], alpha)
    out[i] <- st[[r$stat_name]]
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

NOT_RECOMPUTED <- c(
  ipcw = paste("IPCW Cox model: weights from pooled logistic models of switching on monthly",
               "person-periods and a percentile bootstrap of subjects (adamant's resampling stream);",
               "exact reproduction in base R needs both and is not attempted"),
  msm = paste("marginal structural Cox model: stabilised weights from pooled logistic models on",
              "person-periods with a robust variance; not reproduced in this script"))

# ---------------------------------------------------------------------------- run
ard$r_value <- NA_real_
ard$status <- ""
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
                     logrank = logrank_rows(d, A[k, ], an), cox = cox_rows(d, A[k, ], an), NULL)
      if (!is.null(part)) { res$value[k] <- part$value; res$done[k] <- part$done }
    }
  } else if (an$type %in% c("count", "baseline")) {
    res <- count_rows(an, A)
  }
  ard$r_value[rows] <- res$value
  ard$status[rows] <- ifelse(res$done, "computed", "")
}

agree <- function(a, r) (is.na(a) & is.na(r)) |
  (!is.na(a) & !is.na(r) & abs(a - r) <= TOL * pmax(1, abs(a)))
known <- ard$method %in% names(NOT_RECOMPUTED)
ard$status[ard$status == "computed"] <- ifelse(agree(ard$value, ard$r_value)[ard$status == "computed"],
                                               "agrees", "DIFFERS")
ard$status[ard$status == "" & known] <- "not recomputed (listed)"
ard$status[ard$status == ""] <- "NOT RECOMPUTED"
fmt <- function(x) ifelse(is.na(x), "NA", formatC(x, digits = 15, format = "g"))
label <- paste(ard$analysis_id, ard$method, ard$group,
               ifelse(ard$subgroup_var != "" | ard$subgroup != "", paste0("[", ard$subgroup_var, "=", ard$subgroup, "]"), ""),
               ifelse(is.na(ard$tp), "", paste0("t=", ard$timepoint)), ard$stat_name)
cat(sprintf("%s | adamant %s | R %s | %s\n", label, fmt(ard$value), fmt(ard$r_value), ard$status), sep = "")
for (m in intersect(names(NOT_RECOMPUTED), unique(ard$method)))
  cat(sprintf("not recomputed: %d %s statistic(s): %s\n", sum(ard$method == m), m, NOT_RECOMPUTED[[m]]))
n_agree <- sum(ard$status == "agrees")
n_diff <- sum(ard$status == "DIFFERS")
n_listed <- sum(ard$status == "not recomputed (listed)")
n_missing <- sum(ard$status == "NOT RECOMPUTED")
cat(sprintf("SUMMARY: %d statistics; %d recomputed, %d agree to %g, %d differ; %d not recomputed (listed with the reason); %d not recomputed without a reason\n",
            nrow(ard), n_agree + n_diff, n_agree, TOL, n_diff, n_listed, n_missing))
quit(status = if (n_diff == 0 && n_missing == 0) 0 else 1)
