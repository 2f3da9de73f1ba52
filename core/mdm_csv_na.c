/* SPDX-License-Identifier: MIT */
/*
 * mdm_csv_na.c - pandas' default missing-value markers, shared by the CSV
 * reader (unquoted markers become NULL) and the CSV writer (text equal to a
 * marker is quoted, so it reads back as text).
 */
#include "mdm_csv.h"

#include <string.h>

static const char *const na_markers[] = {
    "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
};

bool mdm_csv_is_na(const char *s, size_t len)
{
    if (len == 0)
        return true;
    if (len > 8)
        return false;
    for (size_t i = 0; i < sizeof na_markers / sizeof na_markers[0]; i++)
        if (strlen(na_markers[i]) == len && memcmp(na_markers[i], s, len) == 0)
            return true;
    return false;
}
