/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the kernel says, as kselftests read it: the kernel log (kmsg_mark()
 * before an action, kmsg_has() after it, for the one line the module logs
 * with each error, or kmsg_warnings() for the warnings no action may
 * cause) and one-line files (read_line() and write_file(), for sysfs).
 */
#ifndef KERNEL_STATE_H
#define KERNEL_STATE_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"

/* A /dev/kmsg reader positioned after the current last record, or -1. */
static inline int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		ksft_print_msg("open /dev/kmsg: %s\n", strerror(errno));
	else
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * The next record of a /dev/kmsg reader into @record, NUL-terminated;
 * false when none is left. A record overwritten before it was read
 * (EPIPE) is skipped.
 */
static inline bool kmsg_next(int fd, char *record, size_t size)
{
	ssize_t len;

	do {
		len = read(fd, record, size - 1);
	} while (len < 0 && errno == EPIPE);
	if (len <= 0)
		return false;
	record[len] = '\0';
	return true;
}

/* Whether a record after the mark contains @needle. Closes @fd. */
static inline bool kmsg_has(int fd, const char *needle)
{
	char record[2048];
	bool found = false;

	if (fd < 0)
		return false;
	while (kmsg_next(fd, record, sizeof(record)))
		if (strstr(record, needle))
			found = true;
	close(fd);
	if (!found)
		ksft_print_msg("kernel log lacks: %s\n", needle);
	return found;
}

/*
 * Kernel warnings in the records after the mark: WARNING, BUG, Oops, a
 * call trace (a dump_stack(), as sysfs prints for a duplicate name).
 * Prints each. Closes @fd.
 */
static inline int kmsg_warnings(int fd)
{
	static const char *const needles[] = {
		"WARNING:", "BUG:", "Internal error", "Call trace:",
		"duplicate filename",
	};
	char record[2048];
	int warnings = 0;
	size_t i;

	if (fd < 0)
		return 1;
	while (kmsg_next(fd, record, sizeof(record))) {
		for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
			if (strstr(record, needles[i])) {
				ksft_print_msg("kernel: %s", record);
				warnings++;
				break;
			}
	}
	close(fd);
	return warnings;
}

/* The first line of @path without its newline; false if unreadable. */
static inline bool read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	bool ok;

	buf[0] = '\0';
	if (!f)
		return false;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* Writes @value to @path: 0, or the errno of the open or the write. */
static inline int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, value, strlen(value)) < 0)
		err = errno;
	close(fd);
	return err;
}

#endif /* KERNEL_STATE_H */
