/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sysfs.h - reading single-value sysfs attributes.
 *
 * Owns: reading one attribute file, strict parsing of decimal numbers,
 * booleans and kernel cpulists.  Every reader prints an "Error: ..." line
 * naming the file and returns -1 on failure, 0 on success; the
 * sysfs_try_read_*() readers, for directories that the kernel may remove
 * at any time, also return SYSFS_GONE, silently, when the file is gone.
 */
#ifndef PMUCTL_SYSFS_H
#define PMUCTL_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

/* Largest CPU number accepted in a cpulist. */
#define CPULIST_MAX_CPU 65535

/* Read DIR/NAME into BUF without its trailing newline; must not be empty. */
int sysfs_read_string(const char *dir, const char *name, char *buf, size_t size);

/* Read DIR/NAME as a decimal unsigned number. */
int sysfs_read_ulong(const char *dir, const char *name, unsigned long *value);

/* The file, or its directory, was removed (ENOENT, or ENODEV on read). */
#define SYSFS_GONE 1

/* As sysfs_read_string(), or SYSFS_GONE. */
int sysfs_try_read_string(const char *dir, const char *name, char *buf, size_t size);

/* As sysfs_read_ulong(), or SYSFS_GONE. */
int sysfs_try_read_ulong(const char *dir, const char *name, unsigned long *value);

/* Read DIR/NAME as a decimal unsigned 64-bit number, or SYSFS_GONE. */
int sysfs_try_read_u64(const char *dir, const char *name, unsigned long long *value);

/* Read DIR/NAME as "0" or "1". */
int sysfs_read_bool(const char *dir, const char *name, bool *value);

/*
 * Read DIR/NAME as a kernel cpulist ("0-3", "0-1,4", or empty).  The text is
 * kept in BUF and the expanded list is returned in *CPUS (free() it).
 */
int sysfs_read_cpulist(const char *dir, const char *name, char *buf, size_t size,
		       unsigned int **cpus, size_t *count);

/* Parse a decimal number strictly; returns 0 or -1. */
int parse_ulong(const char *str, unsigned long *value);
int parse_u64(const char *str, unsigned long long *value);

/* Expand a cpulist; returns 0, -1 on bad syntax, -2 on allocation failure. */
int cpulist_parse(const char *str, unsigned int **cpus, size_t *count);

/* Copy STR into OUT replacing non-printable bytes with '?', truncating. */
const char *sanitize(const char *str, char *out, size_t size);

#endif /* PMUCTL_SYSFS_H */
