/* SPDX-License-Identifier: MIT */
/*
 * cmp_table.h - what the harness needs on top of core's mdm_table and
 * mdm_table_ops.h: sorting rows into a canonical order (for operations
 * that promise no order).
 */
#ifndef MDM_CMP_TABLE_H
#define MDM_CMP_TABLE_H

#include <stddef.h>

#include "mdm_status.h"
#include "mdm_table.h"

/* Sorts src's rows into a canonical order (NULL first, then by value,
 * column by column) in place: equal multisets of rows become equal. */
MDM_NODISCARD mdm_status mdm_cmp_table_sort(mdm_table *t, mdm_error *err);

#endif
