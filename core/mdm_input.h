/* SPDX-License-Identifier: MIT */
/*
 * mdm_input.h - the bytes of one input file, as the CSV reader wants them:
 * a regular file is mapped; standard input ("-"), pipes and devices are
 * read; gzip, bzip2, xz, zstd and single-member zip are decompressed
 * (zlib, libbz2, liblzma, libzstd, libarchive), the compressed side in
 * 64 KiB steps. Text that is not a mapped file (decompressed, or from a
 * pipe) is held in memory up to 8 MiB and past that in an unlinked
 * temporary file in $TMPDIR (else /tmp), mapped at the end: so a big
 * input needs that much free disk, not memory (the CSV reader gives a
 * mapping's pages back behind it). No space there is an IO error naming
 * the folder.
 *
 * The format is told by the first bytes (magic); a name ending .gz, .bz2,
 * .xz, .zst or .zip whose bytes are not that format is an error, so a
 * renamed file is not read as text by mistake. A corrupt or truncated
 * archive is a PARSE error naming the file, the format and the byte offset
 * in the compressed input where decoding stopped.
 */
#ifndef MDM_INPUT_H
#define MDM_INPUT_H

#include <stddef.h>

#include "mdm_status.h"

typedef enum mdm_compression {
    MDM_COMP_NONE = 0,
    MDM_COMP_GZIP,
    MDM_COMP_BZIP2,
    MDM_COMP_XZ,
    MDM_COMP_ZSTD,
    MDM_COMP_ZIP
} mdm_compression;

/* The name of the standard input in messages. */
#define MDM_INPUT_STDIN_NAME "<stdin>"

typedef struct mdm_input {
    const char *data;          /* the (decompressed) bytes */
    size_t len;
    const char *name;          /* for messages: the path, or MDM_INPUT_STDIN_NAME */
    mdm_compression comp;      /* what the input was */
    int mapped;                /* data is a private read-only file mapping */
    void *map_;                /* private: munmap() map_len_ bytes */
    size_t map_len_;
    char *heap_;               /* private: or free() this */
} mdm_input;

/* Opens path ("-": standard input) and reads it whole into in, decompressing
 * as above. Errors: NOT_FOUND (no such file), IO, PARSE (corrupt or
 * truncated archive, a zip with other than one file), NOMEM. On error in
 * holds nothing to close. */
MDM_NODISCARD mdm_status mdm_input_open(const char *path, mdm_input *in, mdm_error *err);

void mdm_input_close(mdm_input *in);   /* NULL and a closed input are no-ops */

/* "gzip", "bzip2", "xz", "zstd", "zip" or "none". */
const char *mdm_compression_name(mdm_compression c);

/* The file name without a compression suffix (".gz", ".bz2", ".xz",
 * ".zst", ".zip"): the length of path that names the inner file. */
size_t mdm_input_inner_len(const char *path);

#endif
