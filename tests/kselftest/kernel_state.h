/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the kernel says, as kselftests read it: the kernel log (kmsg_mark()
 * before an action, kmsg_has() after it, for the one line the module logs
 * with each error) and one-line files (read_line(), for sysfs).
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

/* Whether a record after the mark contains @needle. Closes @fd. */
static inline bool kmsg_has(int fd, const char *needle)
{
	char record[2048];
	bool found = false;
	ssize_t len;

	if (fd < 0)
		return false;
	while ((len = read(fd, record, sizeof(record) - 1)) != 0) {
		if (len < 0) {
			if (errno == EPIPE)	/* overwritten: keep reading */
				continue;
			break;			/* EAGAIN: no more records */
		}
		record[len] = '\0';
		if (strstr(record, needle))
			found = true;
	}
	close(fd);
	if (!found)
		ksft_print_msg("kernel log lacks: %s\n", needle);
	return found;
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

#endif /* KERNEL_STATE_H */
