// SPDX-License-Identifier: GPL-2.0-only
/*
 * soak_host_events: the host's perf load of make soak, and its check that
 * host counting survives everything the soak does to the PMU.
 *
 *   soak_host_events SECONDS EVENTS [READY_FILE [HOTPLUG_FILE]]
 *
 * Opens, on every online CPU, EVENTS pinned CPU-wide counting events
 * (cycles, instructions, cycles, ...; cycles alone where the PMU counts
 * no instructions, as QEMU's without -icount: the soak starts it once a
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
 * Perf core takes the events of a CPU that goes offline out of its
 * context for good (their enabled time stops growing, and enabling them
 * again does not bring them back). Once the CPU is online again, its
 * events are closed and opened anew, and each must then run: a pinned one
 * whose next read shows no running time is a host count error. Only after
 * the CPU was seen to go offline, though: HOTPLUG_FILE (make soak's
 * soak.sh) gets a line with the CPU's number before each offline, and
 * every read pass also looks at the CPUs' online files. An event whose
 * enabled time stops on a CPU with no offline since the event was opened
 * is a host count error once it stays stopped STALL_READS reads in a row
 * (a stall the module caused; the grace covers an offline the poll saw
 * late, with no HOTPLUG_FILE).
 *
 * It also records, as `perf record -a -c PERIOD` does: on every CPU one
 * sampling cycles event (not pinned: it takes a reserved counter when the
 * pinned ones leave one, and is rotated otherwise), a sample every
 * SAMPLE_PERIOD cycles into a ring buffer drained at every read. Its
 * overflow interrupts are the host's own while guests own the counters
 * below HPMN. A host count error, too:
 *
 * - more samples (with those perf reports lost) than the event's count
 *   allows: count / SAMPLE_PERIOD, plus one per throttling and one per
 *   instance of the event (each may end a period begun). The driver
 *   ignores an interrupt that comes before its period has run out, so a
 *   duplicated interrupt makes no sample: this catches samples without
 *   counting (a count that went back, a period restarted short);
 * - fewer than count / SAMPLE_PERIOD allows (overflows the host never saw:
 *   an interrupt a guest's hook took). Under -icount (RIG_ICOUNT=1, as the
 *   rig's init exports it) each sample is exactly one period, so at least
 *   count / SAMPLE_PERIOD less two per instance (its last period begun,
 *   and an overflow its last read counted before the interrupt was taken)
 *   and one per throttling; without it, at least two
 *   thirds of that, because QEMU finds a wrap up to milliseconds late
 *   (docs/rig.md, "Timing") and the event counts on meanwhile;
 * - on CPU 0, no sample at all.
 *
 * Ends with one line of figures: events, reads, errors, then one of the
 * samples.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>

#define READ_INTERVAL_NS	200000000L
#define MAX_CPUS		64
#define MAX_EVENTS		8
#define SAMPLE_PERIOD		10000000ULL	/* cycles: 100 a second at 1 GHz */
#define RING_PAGES		32		/* data pages, a power of two */
#define STALL_READS		10		/* 2 s: an offline seen late */

struct reading {
	uint64_t value;
	uint64_t enabled;
	uint64_t running;
};

struct host_event {
	int fd;
	int cpu;
	int index;			/* of the event on its CPU */
	struct reading last;
	unsigned long reads;		/* since it was (re)opened */
	bool reopened;
	unsigned long stalls;		/* reads with no new count while enabled */
	unsigned long offlines;		/* of its CPU when it was (re)opened */
	unsigned int stopped;		/* reads in a row with enabled time stopped */
};

/*
 * Event @i of a CPU: cycles and instructions alternately; cycles where the
 * PMU does not count instructions (QEMU counts INST_RETIRED only under
 * -icount: perf then refuses the event with ENOENT).
 */
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
	int fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, 0);

	if (fd < 0 && errno == ENOENT && attr.config == PERF_COUNT_HW_INSTRUCTIONS) {
		attr.config = PERF_COUNT_HW_CPU_CYCLES;
		fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, 0);
	}
	return fd;
}

/* A `perf record` event of one CPU and what its ring buffer held. */
struct sampler {
	int fd;
	int cpu;
	struct perf_event_mmap_page *page;
	unsigned char *data;
	uint64_t size;			/* of data */
	uint64_t samples, lost, throttles;
	uint64_t count_base;		/* the counts of its closed instances */
	unsigned int instances;
	struct reading last;
	unsigned long reads;		/* since it was (re)opened */
	unsigned long offlines;		/* of its CPU when it was (re)opened */
	unsigned int stopped;		/* reads in a row with enabled time stopped */
};

static int open_sampler(struct sampler *sampler, int cpu)
{
	long page_size = sysconf(_SC_PAGESIZE);
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_CPU_CYCLES,
		.sample_period = SAMPLE_PERIOD,
		.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
		.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
			       PERF_FORMAT_TOTAL_TIME_RUNNING,
		.wakeup_events = 1000000,	/* drained by polling */
	};
	void *map;

	sampler->reads = 0;
	sampler->cpu = cpu;
	sampler->page = NULL;
	sampler->fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, 0);
	if (sampler->fd < 0)
		return -1;
	sampler->size = RING_PAGES * page_size;
	map = mmap(NULL, sampler->size + page_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, sampler->fd, 0);
	if (map == MAP_FAILED) {
		int saved = errno;

		close(sampler->fd);
		sampler->fd = -1;
		errno = saved;
		return -1;
	}
	sampler->page = map;
	sampler->data = (unsigned char *)map + page_size;
	sampler->instances++;
	return 0;
}

/* Copies @size bytes at ring offset @offset, across the end if need be. */
static void ring_copy(const struct sampler *sampler, uint64_t offset, void *to,
		      size_t size)
{
	uint64_t start = offset % sampler->size;
	size_t first = size;

	if (start + size > sampler->size)
		first = sampler->size - start;
	memcpy(to, sampler->data + start, first);
	memcpy((unsigned char *)to + first, sampler->data, size - first);
}

/* Counts the records the kernel wrote since the last drain, and frees them. */
static void drain(struct sampler *sampler)
{
	uint64_t head, tail;

	if (!sampler->page)
		return;
	head = __atomic_load_n(&sampler->page->data_head, __ATOMIC_ACQUIRE);
	tail = sampler->page->data_tail;

	while (tail < head) {
		struct perf_event_header header;
		struct { uint64_t id, lost; } lost;

		ring_copy(sampler, tail, &header, sizeof(header));
		if (header.size < sizeof(header))
			break;
		if (header.type == PERF_RECORD_SAMPLE) {
			sampler->samples++;
		} else if (header.type == PERF_RECORD_LOST) {
			ring_copy(sampler, tail + sizeof(header), &lost, sizeof(lost));
			sampler->lost += lost.lost;
		} else if (header.type == PERF_RECORD_THROTTLE) {
			sampler->throttles++;
		}
		tail += header.size;
	}
	__atomic_store_n(&sampler->page->data_tail, tail, __ATOMIC_RELEASE);
}

static bool cpu_online(int cpu)
{
	char path[64];
	FILE *f;
	int online = 1;		/* CPU 0 has no online file */

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &online) != 1)
			online = 0;
		fclose(f);
	}
	return online == 1;
}

/*
 * Offlines seen per CPU: the lines naming it in HOTPLUG_FILE (written
 * before each offline), or the times a read pass found its online file 0
 * after finding it 1, whichever is more.
 */
static unsigned long offlines[MAX_CPUS];
static unsigned long offlines_polled[MAX_CPUS];
static bool was_offline[MAX_CPUS];

static void update_offlines(const char *hotplug_file, long cpus)
{
	unsigned long listed[MAX_CPUS] = { 0 };
	int cpu;

	if (hotplug_file) {
		FILE *f = fopen(hotplug_file, "r");

		while (f && fscanf(f, "%d", &cpu) == 1)
			if (cpu >= 0 && cpu < cpus)
				listed[cpu]++;
		if (f)
			fclose(f);
	}
	for (cpu = 0; cpu < cpus; cpu++) {
		bool online = cpu_online(cpu);

		if (!online && !was_offline[cpu])
			offlines_polled[cpu]++;
		was_offline[cpu] = !online;
		offlines[cpu] = listed[cpu] > offlines_polled[cpu] ?
				listed[cpu] : offlines_polled[cpu];
	}
}

static int read_event(int fd, struct reading *reading);

/*
 * Closes a sampler whose CPU went offline and opens it again. A CPU still
 * on its way down (its online file says 1 until the end) refuses with
 * ENODEV: the sampler is then left closed (fd -1) and retried.
 */
static int reopen_sampler(struct sampler *sampler)
{
	struct reading final;

	if (sampler->fd >= 0) {
		drain(sampler);
		if (read_event(sampler->fd, &final) == 1)
			sampler->count_base += final.value;
		munmap(sampler->page, sampler->size + sysconf(_SC_PAGESIZE));
		sampler->page = NULL;
		close(sampler->fd);
		sampler->fd = -1;
	}
	sampler->offlines = offlines[sampler->cpu];
	sampler->stopped = 0;
	if (open_sampler(sampler, sampler->cpu))
		return errno == ENODEV ? 0 : -1;
	return 0;
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
	static struct sampler samplers[MAX_CPUS];
	uint64_t samples = 0, lost = 0, throttles = 0;
	long cpus = sysconf(_SC_NPROCESSORS_CONF), seconds, per_cpu;
	unsigned long reads = 0, errors = 0, frozen = 0, reopened = 0;
	struct timespec interval = { 0, READ_INTERVAL_NS };
	const char *icount = getenv("RIG_ICOUNT");
	bool exact = icount && !strcmp(icount, "1");
	const char *hotplug_file = NULL;
	int count = 0, i, cpu, rounds;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: %s SECONDS EVENTS [READY_FILE [HOTPLUG_FILE]]\n", argv[0]);
		return 2;
	}
	if (argc == 5)
		hotplug_file = argv[4];
	seconds = strtol(argv[1], NULL, 0);
	per_cpu = strtol(argv[2], NULL, 0);
	if (seconds <= 0 || per_cpu <= 0 || per_cpu > MAX_EVENTS || cpus > MAX_CPUS) {
		fprintf(stderr, "soak_host_events: SECONDS > 0, 1 <= EVENTS <= %d, at most %d CPUs\n",
			MAX_EVENTS, MAX_CPUS);
		return 2;
	}
	for (cpu = 0; cpu < cpus; cpu++) {
		if (!cpu_online(cpu)) {
			fprintf(stderr, "soak_host_events: CPU %d is offline: start with every CPU online\n",
				cpu);
			return 2;
		}
		for (i = 0; i < per_cpu; i++) {
			events[count].cpu = cpu;
			events[count].index = i;
			events[count].fd = open_event(cpu, i);
			if (events[count].fd < 0) {
				printf("host count error: CPU %d: perf_event_open: %s\n",
				       cpu, strerror(errno));
				return 1;
			}
			count++;
		}
		if (open_sampler(&samplers[cpu], cpu)) {
			printf("host count error: CPU %d: sampling event: %s\n",
			       cpu, strerror(errno));
			return 1;
		}
	}

	update_offlines(hotplug_file, cpus);
	for (i = 0; i < count; i++)
		events[i].offlines = offlines[events[i].cpu];
	for (cpu = 0; cpu < cpus; cpu++)
		samplers[cpu].offlines = offlines[cpu];
	if (argc >= 4) {
		FILE *ready = fopen(argv[3], "w");

		if (ready) {
			fputs("ready\n", ready);
			fclose(ready);
		}
	}
	rounds = seconds * (1000000000L / READ_INTERVAL_NS);
	while (rounds-- > 0) {
		nanosleep(&interval, NULL);
		update_offlines(hotplug_file, cpus);
		for (i = 0; i < count; i++) {
			struct host_event *event = &events[i];
			struct reading now;
			int status;

			/* Left closed by a reopen its CPU refused (ENODEV). */
			if (event->fd < 0) {
				if (!cpu_online(event->cpu))
					continue;
				event->offlines = offlines[event->cpu];
				event->stopped = 0;
				event->fd = open_event(event->cpu, event->index);
				if (event->fd < 0 && errno != ENODEV) {
					printf("host count error: CPU %d: opening an event again: %s\n",
					       event->cpu, strerror(errno));
					return 1;
				}
				continue;
			}
			status = read_event(event->fd, &now);
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
			if (event->reopened && event->reads == 0 && !now.running &&
			    cpu_online(event->cpu)) {
				printf("host count error: CPU %d: pinned event opened again after the CPU came back did not run\n",
				       event->cpu);
				errors++;
			}
			/*
			 * Enabled time stopped: taken out of perf while its CPU
			 * was offline (open it anew), or, with no offline since
			 * it was opened, a stall.
			 */
			if (event->reads && now.enabled == event->last.enabled &&
			    offlines[event->cpu] == event->offlines) {
				if (++event->stopped == STALL_READS) {
					printf("host count error: CPU %d: pinned event's enabled time stopped for %d reads, with no offline of the CPU\n",
					       event->cpu, STALL_READS);
					errors++;
				}
			} else {
				event->stopped = 0;
			}
			if (event->reads && now.enabled == event->last.enabled &&
			    offlines[event->cpu] != event->offlines &&
			    cpu_online(event->cpu)) {
				close(event->fd);
				event->offlines = offlines[event->cpu];
				event->stopped = 0;
				event->fd = open_event(event->cpu, event->index);
				/* ENODEV: the CPU is still going down; retried. */
				if (event->fd < 0 && errno != ENODEV) {
					printf("host count error: CPU %d: opening an event again: %s\n",
					       event->cpu, strerror(errno));
					return 1;
				}
				memset(&event->last, 0, sizeof(event->last));
				event->reads = 0;
				event->reopened = true;
				reopened++;
				continue;
			}
			event->last = now;
			event->reads++;
		}
		for (cpu = 1; cpu < cpus; cpu++) {
			struct sampler *sampler = &samplers[cpu];
			struct reading now;

			drain(sampler);
			if (sampler->fd < 0) {
				if (cpu_online(cpu) && reopen_sampler(sampler)) {
					printf("host count error: CPU %d: opening the sampling event again: %s\n",
					       cpu, strerror(errno));
					return 1;
				}
				continue;
			}
			if (read_event(sampler->fd, &now) != 1)
				continue;
			/*
			 * Not pinned: rotated out, its enabled time still runs;
			 * stopped with no offline since it was opened, a stall.
			 */
			if (sampler->reads && now.enabled == sampler->last.enabled &&
			    offlines[cpu] == sampler->offlines) {
				if (++sampler->stopped == STALL_READS) {
					printf("host count error: CPU %d: sampling event's enabled time stopped for %d reads, with no offline of the CPU\n",
					       cpu, STALL_READS);
					errors++;
				}
			} else {
				sampler->stopped = 0;
			}
			if (sampler->reads && now.enabled == sampler->last.enabled &&
			    offlines[cpu] != sampler->offlines && cpu_online(cpu)) {
				if (reopen_sampler(sampler)) {
					printf("host count error: CPU %d: opening the sampling event again: %s\n",
					       cpu, strerror(errno));
					return 1;
				}
				reopened++;
				continue;
			}
			sampler->last = now;
			sampler->reads++;
		}
		drain(&samplers[0]);
	}
	for (cpu = 0; cpu < cpus; cpu++) {
		struct sampler *sampler = &samplers[cpu];
		struct reading now;
		uint64_t expected, seen;

		drain(sampler);
		samples += sampler->samples;
		lost += sampler->lost;
		throttles += sampler->throttles;
		if (sampler->fd < 0 || read_event(sampler->fd, &now) != 1)
			memset(&now, 0, sizeof(now));
		/* Each instance may end with one period begun. */
		now.value += sampler->count_base;
		expected = now.value / SAMPLE_PERIOD;
		seen = sampler->samples + sampler->lost;
		if (seen > expected + sampler->instances + sampler->throttles) {
			printf("host count error: CPU %d: %llu samples for a count of %llu (period %llu): overflows counted twice\n",
			       cpu, (unsigned long long)seen,
			       (unsigned long long)now.value, SAMPLE_PERIOD);
			errors++;
		}
		if (exact ? seen + 2 * sampler->instances + sampler->throttles < expected :
			    seen + sampler->instances < expected * 2 / 3) {
			printf("host count error: CPU %d: %llu samples for a count of %llu (period %llu%s): overflows lost\n",
			       cpu, (unsigned long long)seen,
			       (unsigned long long)now.value, SAMPLE_PERIOD,
			       exact ? ", exact under -icount" : "");
			errors++;
		}
		if (cpu == 0 && !sampler->samples) {
			printf("host count error: CPU 0: no sample in %ld s (count %llu, ran %llu of %llu ns)\n",
			       seconds, (unsigned long long)now.value,
			       (unsigned long long)now.running,
			       (unsigned long long)now.enabled);
			errors++;
		}
	}
	for (i = 0; i < count; i++)
		if (events[i].stalls)
			frozen++;
	printf("host events: %d pinned events on %ld CPUs, %lu reads, %lu host count errors, %lu events idle for a read interval at times, %lu opened again after their CPU came back\n",
	       count, cpus, reads, errors, frozen, reopened);
	printf("host samples: %llu samples, %llu lost, %llu throttlings, period %llu cycles\n",
	       (unsigned long long)samples, (unsigned long long)lost,
	       (unsigned long long)throttles, SAMPLE_PERIOD);
	return errors ? 1 : 0;
}
