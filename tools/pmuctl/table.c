// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - owns the layout of pmuctl's plain-text tables (see table.h) and
 * how a cell shows a value that is unknown ("-").
 */
#include <stdio.h>
#include <string.h>

#include "table.h"

void table_widen(int *widths, const char *const *cells, int columns)
{
	int column, length;

	for (column = 0; column < columns; column++) {
		length = (int)strlen(cells[column]);
		if (length > widths[column])
			widths[column] = length;
	}
}

void table_print_row(const int *widths, const char *const *cells, int columns)
{
	int column;

	for (column = 0; column < columns - 1; column++)
		printf("%-*s  ", widths[column], cells[column]);
	printf("%s\n", cells[columns - 1]);
}

const char *table_cell_uint(char *buf, size_t size, bool present, unsigned long long value)
{
	if (present)
		snprintf(buf, size, "%llu", value);
	else
		snprintf(buf, size, "-");
	return buf;
}
