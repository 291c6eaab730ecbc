/* report-html.h: engrate-train's --report-html (report-html.c), shared by the single pass
 * and the training in parts. */
#ifndef ENGRATE_REPORT_HTML_H
#define ENGRATE_REPORT_HTML_H

#include <engrate_train.h>

/* Draw the report as one HTML page at html in lang (en, ja) with engrate-report: 0, or -1
 * after saying why on stderr (and, when json_path is not NULL, that the JSON report is
 * there to draw later). */
int report_html(const engrate_train_report *report, const char *html, const char *lang,
                const char *json_path, int quiet);

#endif
