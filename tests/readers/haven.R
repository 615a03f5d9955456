# For each Stata or SPSS file listed in ARGV[1] (fmt, stem, path per line), reads it with haven and
# writes one line per column to ARGV[2]: its label, its value labels (JSON), how many values are
# present, their characters (text) or their sum (numbers). tests/readers/formats.py compares them
# with pyreadstat's reading of the same files.
suppressMessages(library(haven))
args <- commandArgs(trailingOnly = TRUE)
files <- read.delim(args[1], header = FALSE, sep = "\t", quote = "", col.names = c("fmt", "stem", "path"), stringsAsFactors = FALSE)
clean <- function(x) gsub("[\t\r\n]", " ", x)
json_labels <- function(labels) {
  if (is.null(labels) || length(labels) == 0) return("")
  names <- gsub('"', '\\\\"', gsub("\\\\", "\\\\\\\\", names(labels)))
  paste0("{", paste0('"', format(as.numeric(labels), scientific = FALSE, trim = TRUE), '": "', clean(names), '"', collapse = ", "), "}")
}
out <- file(args[2], open = "w", encoding = "UTF-8")
writeLines("fmt\tstem\tname\tlabel\tlabels\tpresent\tchars\tsum", out)
for (i in seq_len(nrow(files))) {
  f <- files[i, ]
  data <- if (f$fmt == "dta") read_dta(f$path) else read_sav(f$path)
  for (name in names(data)) {
    x <- data[[name]]
    label <- attr(x, "label", exact = TRUE)
    if (is.null(label)) label <- ""
    labels <- attr(x, "labels", exact = TRUE)
    if (is.character(x)) {
      present <- x[!is.na(x) & x != ""]
      chars <- sum(nchar(present, type = "chars"))
      total <- ""
    } else {
      present <- x[!is.na(x)]
      chars <- ""
      total <- format(sum(as.numeric(unclass(present))), digits = 17, scientific = FALSE)
    }
    writeLines(paste(f$fmt, f$stem, name, clean(label), json_labels(labels), length(present), chars, total, sep = "\t"), out)
  }
}
close(out)
