/* SPDX-License-Identifier: GPL-2.0 */
/*
 * table.h - plain-text tables: each column as wide as its widest cell,
 * columns two spaces apart, the last one unpadded.
 */
#ifndef PMUCTL_TABLE_H
#define PMUCTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

/* Widen WIDTHS (start them at 0) so that every one of CELLS fits. */
void table_widen(int *widths, const char *const *cells, int columns);
void table_print_row(const int *widths, const char *const *cells, int columns);

/* Write VALUE into BUF as a cell, or "-" (unknown) unless PRESENT; returns BUF. */
const char *table_cell_uint(char *buf, size_t size, bool present, unsigned long long value);

#endif
