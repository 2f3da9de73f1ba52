/* SPDX-License-Identifier: MIT */
/*
 * mdm_buf.h - a growable byte buffer, always NUL-terminated.
 *
 * Used to build SQL text, messages and output. A caller-owned struct:
 * mdm_buf_init() before use, mdm_buf_reset() frees its memory.
 */
#ifndef MDM_BUF_H
#define MDM_BUF_H

#include <stddef.h>

#include "mdm_status.h"

typedef struct mdm_buf {
    char *data;   /* NUL-terminated once anything was appended; may be NULL */
    size_t len;
    size_t cap;
} mdm_buf;

void mdm_buf_init(mdm_buf *b);
void mdm_buf_reset(mdm_buf *b);                 /* frees; NULL is a no-op */
void mdm_buf_clear(mdm_buf *b);                 /* len = 0, keeps memory */
const char *mdm_buf_str(const mdm_buf *b);      /* "" when empty */
MDM_NODISCARD mdm_status mdm_buf_reserve(mdm_buf *b, size_t extra);
MDM_NODISCARD mdm_status mdm_buf_append(mdm_buf *b, const char *s, size_t len);
MDM_NODISCARD mdm_status mdm_buf_puts(mdm_buf *b, const char *s);
MDM_NODISCARD mdm_status mdm_buf_putc(mdm_buf *b, char c);
MDM_NODISCARD mdm_status mdm_buf_printf(mdm_buf *b, const char *fmt, ...) MDM_PRINTF(2, 3);
/* Hands the string to the caller (free() it) and empties the buffer. */
char *mdm_buf_steal(mdm_buf *b);

/* The first len bytes of s as a new string (caller frees with free()), or
 * NULL with err set (NOMEM). */
char *mdm_strndup(const char *s, size_t len, mdm_error *err);

/* Reads the whole file at path into *out (NUL-terminated; caller frees with
 * free()) and its length into *len. IO names the path; NOMEM. */
MDM_NODISCARD mdm_status mdm_file_read(const char *path, char **out, size_t *len,
                                       mdm_error *err);

#endif
