// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c - reading single-value sysfs attributes.
 *
 * Owns: building attribute paths, reading a whole attribute file (telling a
 * file that vanished with its directory apart from other failures), and the
 * strict parsers for decimal numbers, booleans and cpulists.  A value must
 * be exactly one line: the text, one optional trailing newline, nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * Read DIR/NAME into BUF, dropping one trailing newline; empty is allowed.
 * With MAY_VANISH, a file that does not exist (ENOENT on open) or whose
 * kernfs node was removed after the open (ENODEV on read) gives SYSFS_GONE
 * and no message.
 */
static int sysfs_read_raw(const char *dir, const char *name, char *buf, size_t size,
			  bool may_vanish)
{
	char path[PATH_MAX];
	size_t length = 0;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		p_err("path too long: %s/%s", dir, name);
		return -1;
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && may_vanish)
			return SYSFS_GONE;
		if (errno == ENOENT)
			p_err("required file %s is missing", path);
		else
			p_err("cannot open %s: %s", path, strerror(errno));
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
		if (errno == ENODEV && may_vanish) {
			close(fd);
			return SYSFS_GONE;
		}
		p_err("cannot read %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);

	if (length == size) {
		p_err("%s: value is too long", path);
		return -1;
	}
	if (length && buf[length - 1] == '\n')
		length--;
	buf[length] = '\0';
	if (strlen(buf) != length || strchr(buf, '\n')) {
		p_err("%s: value is not a single line", path);
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
	if (sysfs_read_raw(dir, name, buf, size, false))
		return -1;
	return sysfs_check_string(dir, name, buf);
}

int sysfs_try_read_string(const char *dir, const char *name, char *buf, size_t size)
{
	int ret = sysfs_read_raw(dir, name, buf, size, true);

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

int sysfs_read_ulong(const char *dir, const char *name, unsigned long *value)
{
	char buf[SYSFS_SHORT_VALUE], shown[SYSFS_SHORT_VALUE];

	if (sysfs_read_raw(dir, name, buf, sizeof(buf), false))
		return -1;
	if (parse_ulong(buf, value)) {
		p_err("%s/%s: invalid number \"%s\"", dir, name,
		      sanitize(buf, shown, sizeof(shown)));
		return -1;
	}
	return 0;
}

int sysfs_try_read_ulong(const char *dir, const char *name, unsigned long *value)
{
	char buf[SYSFS_SHORT_VALUE], shown[SYSFS_SHORT_VALUE];
	int ret = sysfs_read_raw(dir, name, buf, sizeof(buf), true);

	if (ret)
		return ret;
	if (parse_ulong(buf, value)) {
		p_err("%s/%s: invalid number \"%s\"", dir, name,
		      sanitize(buf, shown, sizeof(shown)));
		return -1;
	}
	return 0;
}

int sysfs_try_read_u64(const char *dir, const char *name, unsigned long long *value)
{
	char buf[SYSFS_SHORT_VALUE], shown[SYSFS_SHORT_VALUE];
	int ret = sysfs_read_raw(dir, name, buf, sizeof(buf), true);

	if (ret)
		return ret;
	if (parse_u64(buf, value)) {
		p_err("%s/%s: invalid number \"%s\"", dir, name,
		      sanitize(buf, shown, sizeof(shown)));
		return -1;
	}
	return 0;
}

int sysfs_read_bool(const char *dir, const char *name, bool *value)
{
	char buf[SYSFS_SHORT_VALUE], shown[SYSFS_SHORT_VALUE];

	if (sysfs_read_raw(dir, name, buf, sizeof(buf), false))
		return -1;
	if (strcmp(buf, "0") && strcmp(buf, "1")) {
		p_err("%s/%s: invalid boolean \"%s\" (expected 0 or 1)", dir, name,
		      sanitize(buf, shown, sizeof(shown)));
		return -1;
	}
	*value = buf[0] == '1';
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

	if (sysfs_read_raw(dir, name, buf, size, false))
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
