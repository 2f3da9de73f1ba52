/* SPDX-License-Identifier: MIT */
/*
 * example_backend.h - a complete backend in one file (example_backend.c):
 * tables kept in memory, one database per connection. It shows that adding
 * a backend takes one file plus one registration line:
 *     mdm_registry_add(reg, "example", mdm_example_backend(), &err);
 */
#ifndef MDM_EXAMPLE_BACKEND_H
#define MDM_EXAMPLE_BACKEND_H

#include "mdm_backend.h"

/* The example backend's table (static const; never freed). */
const mdm_backend_ops *mdm_example_backend(void);

#endif
