// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c - reading single-value sysfs attributes and sysfs directories.
 *
 * Owns: building attribute paths, reading a whole attribute file (telling a
 * file that vanished with its directory apart from other failures, or
 * without a message), parsing and reporting a bad short value once for every
 * reader, the readers of optional files, checking that a directory still
 * exists, listing a directory into an array of what its entries hold
 * (skipping those that vanish), and the strict parsers for decimal numbers,
 * -1, booleans, cpulists and "<prefix><n>" directory names.  A value must be
 * exactly one line: the text, one optional trailing newline, nothing else;
 * only sysfs_try_read_text() accepts several lines.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmuctl.h"
#include "sysfs.h"

/* Numbers, booleans and names are short; cpulists may fill a page. */
#define SYSFS_SHORT_VALUE 64

const char *sanitize(const char *str, char *out, size_t size)
{
	size_t i;

	for (i = 0; str[i] && i + 1 < size; i++)
		out[i] = (str[i] >= 0x20 && str[i] < 0x7f) ? str[i] : '?';
	out[i] = '\0';
	if (str[i] && size > 4)
		memcpy(out + size - 4, "...", 4);
	return out;
}

/* sysfs_read_raw() flags. */
#define SYSFS_MAY_VANISH	0x1	/* SYSFS_GONE, silently, when gone */
#define SYSFS_QUIET		0x2	/* no message on failure */
#define SYSFS_LINES		0x4	/* several lines are allowed */

/* p_err() unless FLAGS has SYSFS_QUIET. */
static void __printf(2, 3)
sysfs_err(unsigned int flags, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	if (flags & SYSFS_QUIET)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	p_err("%s", message);
}

/*
 * Read DIR/NAME into BUF, dropping one trailing newline; empty is allowed.
 * With SYSFS_MAY_VANISH, a file that does not exist (ENOENT on open) or
 * whose kernfs node was removed after the open (ENODEV on read) gives
 * SYSFS_GONE and no message.
 */
static int sysfs_read_raw(const char *dir, const char *name, char *buf, size_t size,
			  unsigned int flags)
{
	char path[PATH_MAX];
	size_t length = 0;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		sysfs_err(flags, "path too long: %s/%s", dir, name);
		return -1;
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && (flags & SYSFS_MAY_VANISH))
			return SYSFS_GONE;
		if (errno == ENOENT)
			sysfs_err(flags, "required file %s is missing", path);
		else if (errno == EACCES)
			sysfs_err(flags, "cannot open %s: %s (the module's per-VM state is root's: run pmuctl as root)",
				  path, strerror(errno));
		else
			sysfs_err(flags, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}

	/* Read one byte more than fits, to detect oversized values. */
	for (;;) {
		n = read(fd, buf + length, size - length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		length += n;
		if (length == size)
			break;
	}
	if (n < 0) {
		if (errno == ENODEV && (flags & SYSFS_MAY_VANISH)) {
			close(fd);
			return SYSFS_GONE;
		}
		sysfs_err(flags, "cannot read %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);

	if (length == size) {
		sysfs_err(flags, "%s: value is too long", path);
		return -1;
	}
	if (length && buf[length - 1] == '\n')
		length--;
	buf[length] = '\0';
	if (strlen(buf) != length || (!(flags & SYSFS_LINES) && strchr(buf, '\n'))) {
		sysfs_err(flags, "%s: value is not %s", path,
			  (flags & SYSFS_LINES) ? "text" : "a single line");
		return -1;
	}
	return 0;
}

static int sysfs_check_string(const char *dir, const char *name, const char *buf)
{
	if (!buf[0]) {
		p_err("%s/%s: value is empty", dir, name);
		return -1;
	}
	return 0;
}

int sysfs_read_string(const char *dir, const char *name, char *buf, size_t size)
{
	if (sysfs_read_raw(dir, name, buf, size, 0))
		return -1;
	return sysfs_check_string(dir, name, buf);
}

int sysfs_try_read_string(const char *dir, const char *name, char *buf, size_t size)
{
	int ret = sysfs_read_raw(dir, name, buf, size, SYSFS_MAY_VANISH);

	if (ret)
		return ret;
	return sysfs_check_string(dir, name, buf);
}

int parse_ulong(const char *str, unsigned long *value)
{
	char *end;

	/* strtoul() accepts blanks, signs and "0x"; only plain digits are valid. */
	if (*str < '0' || *str > '9')
		return -1;
	errno = 0;
	*value = strtoul(str, &end, 10);
	if (errno || *end)
		return -1;
	return 0;
}

int parse_u64(const char *str, unsigned long long *value)
{
	char *end;

	/* Same rules as parse_ulong(), 64 bits wide on every architecture. */
	if (*str < '0' || *str > '9')
		return -1;
	errno = 0;
	*value = strtoull(str, &end, 10);
	if (errno || *end)
		return -1;
	return 0;
}

int parse_index(const char *str, long *value)
{
	unsigned long number;

	if (!strcmp(str, "-1")) {
		*value = -1;
		return 0;
	}
	if (parse_ulong(str, &number) || number > LONG_MAX)
		return -1;
	*value = (long)number;
	return 0;
}

/* Parsers of the short values, for sysfs_read_value(). */
static int sysfs_parse_ulong(const char *str, void *value)
{
	return parse_ulong(str, value);
}

static int sysfs_parse_u64(const char *str, void *value)
{
	return parse_u64(str, value);
}

static int sysfs_parse_bool(const char *str, void *value)
{
	if (strcmp(str, "0") && strcmp(str, "1"))
		return -1;
	*(bool *)value = str[0] == '1';
	return 0;
}

static int sysfs_parse_index(const char *str, void *value)
{
	return parse_index(str, value);
}

/* A kind of short value: its parser, and what an invalid one is called. */
struct sysfs_format {
	int (*parse)(const char *str, void *value);
	const char *what;		/* "number", "boolean" */
	const char *expected;		/* appended to the message, or "" */
};

static const struct sysfs_format sysfs_ulong_format = {
	sysfs_parse_ulong, "number", "",
};

static const struct sysfs_format sysfs_u64_format = {
	sysfs_parse_u64, "number", "",
};

static const struct sysfs_format sysfs_bool_format = {
	sysfs_parse_bool, "boolean", " (expected 0 or 1)",
};

static const struct sysfs_format sysfs_index_format = {
	sysfs_parse_index, "number", " (expected -1 or a decimal number)",
};

/*
 * Read DIR/NAME, a short value, with sysfs_read_raw() FLAGS and parse it
 * into *VALUE as FORMAT says: 0, SYSFS_GONE (with SYSFS_MAY_VANISH) or -1.
 */
static int sysfs_read_value(const char *dir, const char *name, unsigned int flags,
			    const struct sysfs_format *format, void *value)
{
	char buf[SYSFS_SHORT_VALUE], shown[SYSFS_SHORT_VALUE];
	int ret = sysfs_read_raw(dir, name, buf, sizeof(buf), flags);

	if (ret)
		return ret;
	if (format->parse(buf, value)) {
		sysfs_err(flags, "%s/%s: invalid %s \"%s\"%s", dir, name, format->what,
			  sanitize(buf, shown, sizeof(shown)), format->expected);
		return -1;
	}
	return 0;
}

int sysfs_read_ulong(const char *dir, const char *name, unsigned long *value)
{
	return sysfs_read_value(dir, name, 0, &sysfs_ulong_format, value);
}

int sysfs_try_read_ulong(const char *dir, const char *name, unsigned long *value)
{
	return sysfs_read_value(dir, name, SYSFS_MAY_VANISH, &sysfs_ulong_format, value);
}

int sysfs_try_read_u64(const char *dir, const char *name, unsigned long long *value)
{
	return sysfs_read_value(dir, name, SYSFS_MAY_VANISH, &sysfs_u64_format, value);
}

int sysfs_read_bool(const char *dir, const char *name, bool *value)
{
	return sysfs_read_value(dir, name, 0, &sysfs_bool_format, value);
}

int sysfs_try_read_bool(const char *dir, const char *name, bool *value)
{
	return sysfs_read_value(dir, name, SYSFS_MAY_VANISH, &sysfs_bool_format, value);
}

int sysfs_try_read_index(const char *dir, const char *name, long *value)
{
	return sysfs_read_value(dir, name, SYSFS_MAY_VANISH, &sysfs_index_format, value);
}

int sysfs_peek_ulong(const char *dir, const char *name, unsigned long *value)
{
	return sysfs_read_value(dir, name, SYSFS_QUIET, &sysfs_ulong_format, value);
}

int sysfs_try_read_text(const char *dir, const char *name, char *buf, size_t size)
{
	return sysfs_read_raw(dir, name, buf, size, SYSFS_MAY_VANISH | SYSFS_LINES);
}

/* Map a sysfs_try_read_*() result for an optional file: gone is absent. */
static int sysfs_optional(int ret)
{
	return ret == SYSFS_GONE ? 0 : ret;
}

int sysfs_read_optional_string(const char *dir, const char *name, char *buf, size_t size)
{
	int ret = sysfs_try_read_string(dir, name, buf, size);

	if (ret)
		buf[0] = '\0';
	return sysfs_optional(ret);
}

int sysfs_read_optional_u64(const char *dir, const char *name,
			    struct sysfs_optional_u64 *value)
{
	int ret = sysfs_try_read_u64(dir, name, &value->value);

	value->present = !ret;
	return sysfs_optional(ret);
}

int sysfs_read_optional_bool(const char *dir, const char *name,
			     struct sysfs_optional_bool *value)
{
	int ret = sysfs_try_read_bool(dir, name, &value->value);

	value->present = !ret;
	return sysfs_optional(ret);
}

int sysfs_read_optional_index(const char *dir, const char *name, long *value)
{
	int ret = sysfs_try_read_index(dir, name, value);

	if (ret)
		*value = -1;
	return sysfs_optional(ret);
}

int sysfs_stat_dir(const char *path, bool *is_dir)
{
	struct stat st;

	if (stat(path, &st)) {
		if (errno == ENOENT)
			return SYSFS_GONE;
		p_err("cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	*is_dir = S_ISDIR(st.st_mode);
	return 0;
}

int sysfs_join(char *path, size_t size, const char *dir, const char *name)
{
	if (snprintf(path, size, "%s/%s", dir, name) >= (int)size) {
		p_err("path too long: %s/%s", dir, name);
		return -1;
	}
	return 0;
}

int sysfs_dirent_any(const struct dirent *entry)
{
	return strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..");
}

int sysfs_dirent_byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Read the entry NAME of DIR into ELEMENT with READER: 0, SYSFS_GONE or -1. */
static int sysfs_read_dir_entry(const struct sysfs_dir_reader *reader, const char *dir,
				const char *name, void *element, void *context)
{
	char path[PATH_MAX];
	bool is_dir;
	int ret;

	if (sysfs_join(path, sizeof(path), dir, name))
		return -1;
	if (reader->only_dirs) {
		ret = sysfs_stat_dir(path, &is_dir);
		if (ret)
			return ret;
		if (!is_dir)
			return SYSFS_GONE;
	}
	return reader->read_entry(path, name, element, context);
}

/* Free what ELEMENT owns, if anything, and zero it for the next entry. */
static void sysfs_release_element(const struct sysfs_dir_reader *reader, void *element)
{
	if (reader->release)
		reader->release(element);
	memset(element, 0, reader->element_size);
}

int sysfs_read_dir(const char *dir, const struct sysfs_dir_reader *reader, void *context,
		   struct sysfs_dir_array *array)
{
	struct dirent **entries;
	char *elements;
	int nr_entries, i, ret = -1;
	size_t kept;

	array->elements = NULL;
	array->count = 0;
	array->skipped = 0;

	nr_entries = scandir(dir, &entries, reader->filter, reader->compare);
	if (nr_entries < 0) {
		if (errno == ENOENT)
			return SYSFS_GONE;
		p_err("cannot list %s: %s", dir, strerror(errno));
		return -1;
	}

	elements = calloc(nr_entries ? nr_entries : 1, reader->element_size);
	if (!elements) {
		p_err("out of memory listing %s", dir);
		goto out;
	}
	for (i = 0; i < nr_entries; i++) {
		void *element = elements + array->count * reader->element_size;

		ret = sysfs_read_dir_entry(reader, dir, entries[i]->d_name, element, context);
		if (ret)
			sysfs_release_element(reader, element);
		if (ret < 0)
			goto out;
		if (ret == SYSFS_GONE)
			array->skipped++;
		else
			array->count++;
	}
	ret = 0;
out:
	for (i = 0; i < nr_entries; i++)
		free(entries[i]);
	free(entries);
	if (ret) {
		for (kept = 0; kept < array->count; kept++)
			sysfs_release_element(reader, elements + kept * reader->element_size);
		free(elements);
		elements = NULL;
		array->count = 0;
		array->skipped = 0;
	}
	array->elements = elements;
	return ret;
}

int parse_index_name(const char *name, const char *prefix, unsigned long *id)
{
	size_t length = strlen(prefix);

	if (strncmp(name, prefix, length))
		return -1;
	name += length;
	if (name[0] == '0' && name[1])
		return -1;
	if (parse_ulong(name, id) || *id > INT_MAX)
		return -1;
	return 0;
}

/* Parse one CPU number at *STR, advancing it past the digits. */
static int parse_cpu(const char **str, unsigned long *cpu)
{
	char *end;

	if (**str < '0' || **str > '9')
		return -1;
	errno = 0;
	*cpu = strtoul(*str, &end, 10);
	if (errno || *cpu > CPULIST_MAX_CPU)
		return -1;
	*str = end;
	return 0;
}

int cpulist_parse(const char *str, unsigned int **cpus, size_t *count)
{
	unsigned int *list = NULL, *grown;
	size_t length = 0, capacity = 0;
	unsigned long first, last, cpu;
	bool any = false;
	unsigned long next = 0;	/* lowest CPU the next range may start at */

	while (*str) {
		if (parse_cpu(&str, &first))
			goto invalid;
		last = first;
		if (*str == '-') {
			str++;
			if (parse_cpu(&str, &last) || last < first)
				goto invalid;
		}
		/* Ranges must be ascending and must not overlap. */
		if (any && first < next)
			goto invalid;
		if (*str == ',') {
			str++;
			if (!*str)
				goto invalid;
		} else if (*str) {
			goto invalid;
		}

		if (length + (last - first + 1) > capacity) {
			capacity = length + (last - first + 1) + 16;
			grown = realloc(list, capacity * sizeof(*list));
			if (!grown) {
				free(list);
				return -2;
			}
			list = grown;
		}
		for (cpu = first; cpu <= last; cpu++)
			list[length++] = (unsigned int)cpu;
		any = true;
		next = last + 1;
	}

	*cpus = list;
	*count = length;
	return 0;

invalid:
	free(list);
	return -1;
}

int sysfs_read_cpulist(const char *dir, const char *name, char *buf, size_t size,
		       unsigned int **cpus, size_t *count)
{
	char shown[SYSFS_SHORT_VALUE];
	int ret;

	if (sysfs_read_raw(dir, name, buf, size, 0))
		return -1;
	ret = cpulist_parse(buf, cpus, count);
	if (ret == -2) {
		p_err("out of memory reading %s/%s", dir, name);
		return -1;
	}
	if (ret) {
		p_err("%s/%s: invalid cpulist \"%s\"", dir, name,
		      sanitize(buf, shown, sizeof(shown)));
		return -1;
	}
	return 0;
}
