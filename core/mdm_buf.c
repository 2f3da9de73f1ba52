/* SPDX-License-Identifier: MIT */
/*
 * mdm_buf.c - a growable, NUL-terminated byte buffer for SQL text, messages
 * and output. Growth doubles the capacity so appends are amortised O(1).
 */
#include "mdm_buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mdm_buf_init(mdm_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void mdm_buf_reset(mdm_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    mdm_buf_init(b);
}

void mdm_buf_clear(mdm_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

const char *mdm_buf_str(const mdm_buf *b)
{
    return b->data != NULL ? b->data : "";
}

mdm_status mdm_buf_reserve(mdm_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return MDM_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return MDM_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return MDM_OK;
}

mdm_status mdm_buf_append(mdm_buf *b, const char *s, size_t len)
{
    if (mdm_buf_reserve(b, len) != MDM_OK)
        return MDM_ERR_NOMEM;
    if (len > 0)
        memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
    return MDM_OK;
}

mdm_status mdm_buf_puts(mdm_buf *b, const char *s)
{
    return mdm_buf_append(b, s, strlen(s));
}

mdm_status mdm_buf_putc(mdm_buf *b, char c)
{
    return mdm_buf_append(b, &c, 1);
}

mdm_status mdm_buf_printf(mdm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return MDM_ERR_INVALID_ARG;
    if (mdm_buf_reserve(b, (size_t)n) != MDM_OK)
        return MDM_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return MDM_OK;
}

char *mdm_buf_steal(mdm_buf *b)
{
    char *s = b->data;
    if (s == NULL) {
        s = malloc(1);
        if (s != NULL)
            s[0] = '\0';
    }
    mdm_buf_init(b);
    return s;
}

mdm_status mdm_file_read(const char *path, char **out, size_t *len, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    char *data = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        rc = mdm_error_set(err, MDM_ERR_IO, "%s: cannot seek", path);
        goto done;
    }
    long size = ftell(f);
    rewind(f);
    data = malloc((size_t)(size > 0 ? size : 0) + 1);
    if (data == NULL) {
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (size > 0 && fread(data, 1, (size_t)size, f) != (size_t)size) {
        rc = mdm_error_set(err, MDM_ERR_IO, "%s: short read", path);
        goto done;
    }
    data[size > 0 ? size : 0] = '\0';
    *out = data;
    *len = (size_t)(size > 0 ? size : 0);
    data = NULL;
done:
    free(data);
    fclose(f);
    return rc;
}

char *mdm_strndup(const char *s, size_t len, mdm_error *err)
{
    char *p = malloc(len + 1);
    if (p == NULL) {
        (void)mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
