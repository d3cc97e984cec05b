/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sysfs.h - reading single-value sysfs attributes and sysfs directories.
 *
 * Owns: reading one attribute file, reading the entries of a directory into
 * an array (sysfs_read_dir()), strict parsing of decimal numbers, -1,
 * booleans, kernel cpulists and "<prefix><n>" names.  Every reader
 * prints an "Error: ..." line naming the file and returns -1 on failure, 0
 * on success; the sysfs_try_read_*() readers, for directories that the
 * kernel may remove at any time, also return SYSFS_GONE, silently, when the
 * file is gone; the sysfs_read_optional_*() readers, for files that older
 * modules do not have, mark the value absent instead; sysfs_peek_ulong()
 * prints nothing.
 */
#ifndef PMUCTL_SYSFS_H
#define PMUCTL_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

/* A sysfs value is at most one page. */
#define SYSFS_PAGE_SIZE 4096

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

/* As sysfs_read_bool(), or SYSFS_GONE. */
int sysfs_try_read_bool(const char *dir, const char *name, bool *value);

/* Read DIR/NAME as a decimal number up to LONG_MAX or -1 (none), or SYSFS_GONE. */
int sysfs_try_read_index(const char *dir, const char *name, long *value);

/*
 * Read DIR/NAME, a small table of several lines, into BUF without its
 * trailing newline; may be empty.  Or SYSFS_GONE.
 */
int sysfs_try_read_text(const char *dir, const char *name, char *buf, size_t size);

/*
 * Read DIR/NAME as a decimal unsigned number without printing anything on
 * failure: for details added to an error that is being reported.
 */
int sysfs_peek_ulong(const char *dir, const char *name, unsigned long *value);

/* A value of a file that older modules do not have. */
struct sysfs_optional_u64 {
	bool present;
	unsigned long long value;
};

struct sysfs_optional_bool {
	bool present;
	bool value;
};

/*
 * Read a file that older modules do not have: 0 with the value marked
 * absent (PRESENT false, an empty string, -1) when the file is missing, as
 * the sysfs_try_read_*() readers otherwise.  A missing file and a vanished
 * directory look the same: a caller reading a directory that the kernel may
 * remove checks that it is still there (sysfs_stat_dir()) afterwards.
 */
int sysfs_read_optional_string(const char *dir, const char *name, char *buf, size_t size);
int sysfs_read_optional_u64(const char *dir, const char *name,
			    struct sysfs_optional_u64 *value);
int sysfs_read_optional_bool(const char *dir, const char *name,
			     struct sysfs_optional_bool *value);
/* A decimal number or -1 (none); -1 also when the file is missing. */
int sysfs_read_optional_index(const char *dir, const char *name, long *value);

/*
 * Stat PATH, which the kernel may remove at any time: 0 with *IS_DIR set,
 * SYSFS_GONE when it does not exist, -1 after printing an error.
 */
int sysfs_stat_dir(const char *path, bool *is_dir);

/* Write DIR/NAME into PATH, of SIZE bytes: 0, or -1 after an error. */
int sysfs_join(char *path, size_t size, const char *dir, const char *name);

struct dirent;

/*
 * scandir() filter: every entry except "." and ".."; non-directories are
 * told apart later, by stat(), because d_type is not reliable on every
 * filesystem.
 */
int sysfs_dirent_any(const struct dirent *entry);
/* scandir() order: byte order of the names, independent of the locale. */
int sysfs_dirent_byte_order(const struct dirent **a, const struct dirent **b);

/* How sysfs_read_dir() reads the entries of a directory into an array. */
struct sysfs_dir_reader {
	/* scandir() filter and order (NULL: directory order) of the entries. */
	int (*filter)(const struct dirent *entry);
	int (*compare)(const struct dirent **a, const struct dirent **b);
	/*
	 * Only directories, which the kernel may remove at any time: an entry
	 * that is gone or is not a directory is skipped without a message.
	 */
	bool only_dirs;
	/* Size of one element of the array. */
	size_t element_size;
	/*
	 * Read the entry NAME, at PATH, into ELEMENT, zero-filled, passing
	 * the CONTEXT given to sysfs_read_dir(): 0 keeps it, SYSFS_GONE skips
	 * it, -1 after an error stops the listing.
	 */
	int (*read_entry)(const char *path, const char *name, void *element, void *context);
	/* Free what an ELEMENT read (kept or not) owns; NULL: it owns nothing. */
	void (*release)(void *element);
};

/* The entries sysfs_read_dir() kept, in the order it read them. */
struct sysfs_dir_array {
	void *elements;		/* COUNT elements; free() it */
	size_t count;
	size_t skipped;		/* entries read_entry() skipped */
};

/*
 * Read the entries of directory DIR into ARRAY with READER: 0; SYSFS_GONE,
 * without a message, when DIR does not exist; -1 after an error.  ARRAY is
 * empty unless it returns 0.
 */
int sysfs_read_dir(const char *dir, const struct sysfs_dir_reader *reader, void *context,
		   struct sysfs_dir_array *array);

/*
 * Read DIR/NAME as a kernel cpulist ("0-3", "0-1,4", or empty).  The text is
 * kept in BUF and the expanded list is returned in *CPUS (free() it).
 */
int sysfs_read_cpulist(const char *dir, const char *name, char *buf, size_t size,
		       unsigned int **cpus, size_t *count);

/* Parse a decimal number strictly; returns 0 or -1. */
int parse_ulong(const char *str, unsigned long *value);
int parse_u64(const char *str, unsigned long long *value);
/* A decimal number up to LONG_MAX, or "-1". */
int parse_index(const char *str, long *value);

/*
 * Parse a directory name written by the kernel as "<PREFIX>%d": PREFIX and
 * a decimal number up to INT_MAX without leading zeros; returns 0 or -1.
 */
int parse_index_name(const char *name, const char *prefix, unsigned long *id);

/* Expand a cpulist; returns 0, -1 on bad syntax, -2 on allocation failure. */
int cpulist_parse(const char *str, unsigned int **cpus, size_t *count);

/* Copy STR into OUT replacing non-printable bytes with '?', truncating. */
const char *sanitize(const char *str, char *out, size_t size);

#endif /* PMUCTL_SYSFS_H */
