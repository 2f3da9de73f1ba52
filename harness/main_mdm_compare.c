/* SPDX-License-Identifier: MIT */
/*
 * main_mdm_compare.c - the mdm-compare program: the differential harness
 * that runs every scenario and sqllogictest file through legacy and modern
 * and reports every difference. All of it lives in harness/cmp_*.c.
 */
#include "cmp_main.h"

int main(int argc, char **argv)
{
    return mdm_cmp_main(argc, argv);
}
