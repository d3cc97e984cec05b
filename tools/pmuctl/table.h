/* SPDX-License-Identifier: GPL-2.0 */
/*
 * table.h - plain-text tables: each column as wide as its widest cell,
 * columns two spaces apart, the last one unpadded.
 */
#ifndef PMUCTL_TABLE_H
#define PMUCTL_TABLE_H

/* Widen WIDTHS (start them at 0) so that every one of CELLS fits. */
void table_widen(int *widths, const char *const *cells, int columns);
void table_print_row(const int *widths, const char *const *cells, int columns);

#endif
