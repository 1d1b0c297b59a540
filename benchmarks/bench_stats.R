# Same work as benchmarks/bench_stats.py, for timing R:  Rscript benchmarks/bench_stats.R rows.csv
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
t0 <- proc.time()[["elapsed"]]
d <- read.csv(args[1], colClasses = c("numeric", "integer", "integer", "integer", "integer", "integer"))
t1 <- proc.time()[["elapsed"]]
km <- survfit(Surv(time, event) ~ arm, data = d, conf.type = "log-log")
med <- summary(km)$table[, "median"]
lr <- survdiff(Surv(time, event) ~ arm + strata(s1, s2, s3), data = d)
cx <- coxph(Surv(time, event) ~ arm + strata(s1, s2, s3), data = d, ties = "efron")
t2 <- proc.time()[["elapsed"]]
cat(sprintf("read %.3f compute %.3f median %s chisq %.10g coef %.10g\n", t1 - t0, t2 - t1,
            paste(med, collapse = ","), lr$chisq, coef(cx)))
