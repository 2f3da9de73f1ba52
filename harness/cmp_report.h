/* SPDX-License-Identifier: MIT */
/*
 * cmp_report.h - what a run of mdm-compare tells: the terminal summary
 * (unexpected differences in full, each expected one with its reason,
 * stale entries, per-backend lines, and the summary line last), and the
 * reports compare.md, compare.json and compare.junit.xml.
 */
#ifndef MDM_CMP_REPORT_H
#define MDM_CMP_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "cmp_run.h"

/* "compare: N cells, N matched, N expected, N unexpected, N stale". */
void mdm_cmp_report_summary_line(const mdm_cmp_run *r, char *buf, size_t n);

/* "records: R run, P passed, K skipped, F failed[, N noted]; X records/s"
 * (sqllogictest records of every cell). */
void mdm_cmp_report_records_line(const mdm_cmp_run *r, char *buf, size_t n);

/* The terminal report; the summary line is its last line. */
void mdm_cmp_report_terminal(const mdm_cmp_run *r, FILE *out);

/* Writes <dir>/compare.md, compare.json and compare.junit.xml. */
MDM_NODISCARD mdm_status mdm_cmp_report_files(const mdm_cmp_run *r, const char *dir,
                                              mdm_error *err);

/* Writes s as a JSON string (quoted, escaped); NULL as "". */
void mdm_cmp_report_json_str(FILE *f, const char *s);

#endif
