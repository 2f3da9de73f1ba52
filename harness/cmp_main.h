/* SPDX-License-Identifier: MIT */
/*
 * cmp_main.h - the mdm-compare program as a function, so that tests can run
 * it in-process: options, fixture discovery, PostgreSQL detection, the run
 * and its reports. main_mdm_compare.c only calls mdm_cmp_main().
 */
#ifndef MDM_CMP_MAIN_H
#define MDM_CMP_MAIN_H

/* Exit status: 0 nothing unexpected, 1 unexpected differences (or no
 * PostgreSQL under CI=true), 2 usage or setup error. */
int mdm_cmp_main(int argc, char **argv);

#endif
