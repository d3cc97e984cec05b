// SPDX-License-Identifier: GPL-2.0-only
/*
 * soak_host_events: the host's perf load of make soak, and its check that
 * host counting survives everything the soak does to the PMU.
 *
 *   soak_host_events SECONDS EVENTS [READY_FILE]
 *
 * Opens, on every online CPU, EVENTS pinned CPU-wide counting events
 * (cycles, instructions, cycles, ...: the soak starts it once a
 * partitioned VM holds the claim, so they go on the reserved event
 * counters, a cycles event too, since the guest owns the cycle counter;
 * it asks for fewer events than counters are reserved), writes "ready" to
 * READY_FILE, and reads them every 200 ms for SECONDS. It fails on a host
 * count error:
 *
 * - a pinned event in error state (perf could not keep it on a counter:
 *   a read returns nothing), on any CPU;
 * - a count that goes backwards;
 * - on CPU 0, which the soak never takes offline, an event that did not
 *   run all the time it was enabled (time_running < time_enabled: it was
 *   multiplexed or squeezed out).
 *
 * Events of CPUs that went offline and came back may stop counting (perf
 * core's doing, not the module's): reported in the figures, not a failure.
 *
 * Ends with one line of figures: events, reads, errors.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>

#define READ_INTERVAL_NS	200000000L
#define MAX_CPUS		64
#define MAX_EVENTS		8

struct reading {
	uint64_t value;
	uint64_t enabled;
	uint64_t running;
};

struct host_event {
	int fd;
	int cpu;
	struct reading last;
	unsigned long stalls;		/* reads with no new count while enabled */
};

static int open_event(int cpu, int i)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = i % 2 ? PERF_COUNT_HW_INSTRUCTIONS : PERF_COUNT_HW_CPU_CYCLES,
		.pinned = 1,
		.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
			       PERF_FORMAT_TOTAL_TIME_RUNNING,
	};

	return syscall(__NR_perf_event_open, &attr, -1, cpu, -1, 0);
}

/* 1: read, 0: the event is in error state, -1: read failed. */
static int read_event(int fd, struct reading *reading)
{
	ssize_t got = read(fd, reading, sizeof(*reading));

	if (got == 0)
		return 0;
	return got == sizeof(*reading) ? 1 : -1;
}

int main(int argc, char **argv)
{
	static struct host_event events[MAX_CPUS * MAX_EVENTS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), seconds, per_cpu;
	unsigned long reads = 0, errors = 0, frozen = 0;
	struct timespec interval = { 0, READ_INTERVAL_NS };
	int count = 0, i, cpu, rounds;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s SECONDS EVENTS [READY_FILE]\n", argv[0]);
		return 2;
	}
	seconds = strtol(argv[1], NULL, 0);
	per_cpu = strtol(argv[2], NULL, 0);
	if (seconds <= 0 || per_cpu <= 0 || per_cpu > MAX_EVENTS || cpus > MAX_CPUS) {
		fprintf(stderr, "soak_host_events: SECONDS > 0, 1 <= EVENTS <= %d, at most %d CPUs\n",
			MAX_EVENTS, MAX_CPUS);
		return 2;
	}
	for (cpu = 0; cpu < cpus; cpu++) {
		for (i = 0; i < per_cpu; i++) {
			events[count].cpu = cpu;
			events[count].fd = open_event(cpu, i);
			if (events[count].fd < 0) {
				printf("host count error: CPU %d: perf_event_open: %s\n",
				       cpu, strerror(errno));
				return 1;
			}
			count++;
		}
	}

	if (argc == 4) {
		FILE *ready = fopen(argv[3], "w");

		if (ready) {
			fputs("ready\n", ready);
			fclose(ready);
		}
	}
	rounds = seconds * (1000000000L / READ_INTERVAL_NS);
	while (rounds-- > 0) {
		nanosleep(&interval, NULL);
		for (i = 0; i < count; i++) {
			struct host_event *event = &events[i];
			struct reading now;
			int status = read_event(event->fd, &now);

			reads++;
			if (status <= 0) {
				printf("host count error: CPU %d: pinned event %s\n",
				       event->cpu, status ? "read failed" :
				       "in error state (squeezed out of its counter)");
				errors++;
				continue;
			}
			if (now.value < event->last.value) {
				printf("host count error: CPU %d: count went back from %llu to %llu\n",
				       event->cpu, (unsigned long long)event->last.value,
				       (unsigned long long)now.value);
				errors++;
			}
			if (event->cpu == 0 && now.running != now.enabled) {
				printf("host count error: CPU 0: event ran %llu of %llu ns enabled\n",
				       (unsigned long long)now.running,
				       (unsigned long long)now.enabled);
				errors++;
			}
			/* CPU 0 may idle a whole interval: only counted. */
			if (now.enabled > event->last.enabled && now.value == event->last.value)
				event->stalls++;
			event->last = now;
		}
	}
	for (i = 0; i < count; i++)
		if (events[i].stalls)
			frozen++;
	printf("host events: %d pinned events on %ld CPUs, %lu reads, %lu host count errors, %lu events idle for a read interval at times\n",
	       count, cpus, reads, errors, frozen);
	return errors ? 1 : 0;
}
