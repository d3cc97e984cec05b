// SPDX-License-Identifier: GPL-2.0-only
/*
 * A VMM that does everything wrong, held to kvm_pmu_partition's contract
 * for VMMs (include/uapi/linux/kvm_pmu_partition.h, its errno table) and
 * to stock KVM's behaviour wherever the module is not involved.
 *
 * Usage: hostile_vmm MODE [harness options: -l, -t TEST, -f FIXTURE, ...]
 *   MODE emulated|partitioned|fixed
 *            the module loaded with that default_mode and
 *            reserved_host_counters=2
 *   MODE stock
 *            no module: KVM's own behaviour, which the same checks must
 *            find unchanged (0x100 and 0x101 are then unknown attributes)
 *   hostile_vmm -l lists the tests (FIXTURE.VARIANT.TEST), no MODE needed.
 *
 * The rules, as kselftest harness tests: each test runs in its own
 * process, with the VMs and file descriptors its fixture's setup makes and
 * its teardown (or the process's end) destroys, so one that fails leaves
 * nothing to the next. A test that does not apply in a mode or on a host
 * is a SKIP with its reason.
 * - random_attribute_calls: random KVM_{SET,GET,HAS}_DEVICE_ATTR calls on
 *   vCPUs in every state return an errno of the module's table for its
 *   attributes (of KVM's for 0x100 and 0x101 on stock KVM) and one KVM
 *   returns for the others, and warn nowhere in the kernel log;
 * - one_reg_abuse_el2, one_reg_abuse_host_perf, one_reg_abuse_vms:
 *   KVM_SET_ONE_REG of every PMU register with hostile values, before the
 *   first run and between runs, leaves a partitioned guest unable to
 *   count at EL2 and the VMM thread's host perf count unchanged;
 * - duplicate_vcpu_ids: a duplicate vCPU id (also two threads racing for
 *   one) is refused with EEXIST without a kernel warning, and the first
 *   vCPU keeps working;
 * - attribute_orders (a variant per stage of a vCPU's life): SET of
 *   0x100, 0x101, SET_PMU, FILTER, IRQ and INIT in every order, before
 *   KVM_ARM_VCPU_INIT, without PMUv3, after it, after
 *   KVM_ARM_VCPU_PMU_V3_INIT and after KVM_RUN, follows the table, and
 *   GET/HAS then report the chosen mode;
 * - vms_with_and_without_vpmu: a VM without a vPMU that touches PMU
 *   registers gets UNDEFINED, and neither it nor a VM with a vPMU doing
 *   the same changes the VMM thread's host cycle count;
 * - end_state, last: once the tests before it are over the module holds
 *   no claim, no VM and no extra reference, and the kernel log gained no
 *   WARNING, BUG, call trace or duplicate sysfs name since the run began.
 *
 * Every test starts the random generator from the seed (fixed, printed;
 * HOSTILE_VMM_SEED overrides it): a test run alone (-t, -r) makes the
 * same calls as in a whole run.
 *
 * Host set-ups covered: the rig's one PMUv3 (6 event counters, FEAT_FGT,
 * PMUv3p5, no pseudo-NMI) with no module, and with the module in each
 * default_mode (reserved_host_counters=2, so a partitioned guest has
 * N = 4); VMs with and without an in-kernel vGICv3, with and without
 * PMUv3. Exact counts need the rig's -icount (RIG_ICOUNT=1, as make check
 * runs it); without it the tests that need exactness are skipped or
 * relaxed, as in partitioned_pmu.c. Under -icount a counter also counts
 * what the other vCPU of the rig executes, which only ever adds: exact
 * checks take the least of REPEATS identical measurements. The times
 * printed are CLOCK_MONOTONIC, virtual time under -icount, and so are the
 * harness's per-test timeouts (TEST_TIMEOUT, ORDERS_TIMEOUT: far above
 * what a test takes on the rig, for slower kernels such as make
 * check-debug's; the plan's timeout= bounds the whole run).
 */
#define _GNU_SOURCE
#include <glob.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "pmu_test.h"
#include "rig_harness.h"

#define SYSFS			KVM_PMU_PARTITION_SYSFS_DIR
#define MODULE_REFCNT		"/sys/module/kvm_pmu_partition/refcnt"
#define DEFAULT_SEED		0x484f5354494c45ULL	/* "HOSTILE" */
#define FUZZ_CALLS		5000
#define ABUSE_RUNS		4	/* runs of the abused guest */
#define ABUSE_ROUNDS		3	/* writes of every register before each */
#define HVC_K			100	/* HVCs of the EL2 check */
#define REPEATS			5
#define HOST_LOOP		100000	/* the VMM's own counted loop */
#define GUEST_LOOP		2000	/* nops of a guest that counts */
#define RACES			16	/* vCPU ids two threads race for */
#define POKE_ROUNDS		20	/* PMU accesses: POKE_ROUNDS x POKES */
#define POKES			10
#define MISMATCHES_SHOWN	3	/* failing calls printed per check */
#define TEST_TIMEOUT		300	/* seconds, per test */
#define ORDERS_TIMEOUT		600	/* an attribute_orders test: 720 orders */

enum mode { MODE_STOCK, MODE_EMULATED, MODE_PARTITIONED, MODE_FIXED };

static const char *const mode_names[] = {
	[MODE_STOCK] = "stock",
	[MODE_EMULATED] = KVM_PMU_PARTITION_MODE_EMULATED,
	[MODE_PARTITIONED] = KVM_PMU_PARTITION_MODE_PARTITIONED,
	[MODE_FIXED] = KVM_PMU_PARTITION_MODE_FIXED,
};

static enum mode mode;
static bool module_loaded;
static bool icount;
static struct host_pmu host_pmu;
static uint64_t partition_n;	/* PMCR_EL0.N of a partitioned guest */
static uint64_t seed;		/* where every test starts rng() */
static uint64_t rng_state;
static long refcnt_start;	/* the module's refcnt before the first test */
static int run_kmsg;		/* kernel log mark from before the first test */
static pid_t harness_pid;	/* the process that runs the tests */
static struct timespec run_start, test_start_time;

/* xorshift64*: the same calls for the same seed on every libc. */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Every fixture's setup starts with this, every teardown ends with test_end(). */
static void test_begin(void)
{
	rng_state = seed;
	clock_gettime(CLOCK_MONOTONIC, &test_start_time);
}

static void test_end(const char *test)
{
	ksft_print_msg("%s took %.2f s\n", test, seconds_since(&test_start_time));
}

/* ------------------------------------------------------- sets of errnos */

/*
 * A set of results of an ioctl, as a bit mask: bit 0 is success, the
 * others the errnos below; an errno not listed is never in a set.
 */
static const int known_errnos[] = {
	0, ENXIO, ENODEV, EFAULT, EINVAL, EBUSY, EEXIST, EOPNOTSUPP, ENOSPC,
	ENOMEM, EAGAIN,
};

static const char *const known_errno_names[] = {
	"success", "ENXIO", "ENODEV", "EFAULT", "EINVAL", "EBUSY", "EEXIST",
	"EOPNOTSUPP", "ENOSPC", "ENOMEM", "EAGAIN",
};

#define SUCCESS		errno_bit(0)

static uint64_t errno_bit(int err)
{
	for (int i = 0; i < (int)ARRAY_SIZE(known_errnos); i++)
		if (known_errnos[i] == err)
			return BIT_ULL(i);
	return 0;
}

static bool errno_in(int err, uint64_t set)
{
	return errno_bit(err) & set;
}

static const char *errno_name(int err)
{
	static char unknown[32];

	for (int i = 0; i < (int)ARRAY_SIZE(known_errnos); i++)
		if (known_errnos[i] == err)
			return known_errno_names[i];
	snprintf(unknown, sizeof(unknown), "errno %d", err);
	return unknown;
}

static void format_errnos(uint64_t set, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < (int)ARRAY_SIZE(known_errnos) && used < size; i++)
		if (set & BIT_ULL(i))
			used += snprintf(buf + used, size - used, "%s%s", used ? "|" : "",
					 known_errno_names[i]);
}

/* ----------------------------------------------------------- the VMs */

/*
 * A VM without guest memory: one vCPU, KVM_ARM_VCPU_INIT (with PMUv3 if
 * @pmu) if @vcpu_init, and a vGICv3 initialised without guest mappings if
 * @irqchip. Cheap, and enough for every attribute but a run.
 */
static void bare_vm_create(struct tvm *t, bool vcpu_init, bool pmu, bool irqchip)
{
	struct kvm_vcpu_init init;
	uint32_t nr_irqs = 64;

	t->vm = vm_create_barebones();
	t->vcpu = __vm_vcpu_add(t->vm, 0);
	t->gic_fd = -1;
	if (vcpu_init) {
		vm_ioctl(t->vm, KVM_ARM_PREFERRED_TARGET, &init);
		if (pmu)
			init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
		vcpu_ioctl(t->vcpu, KVM_ARM_VCPU_INIT, &init);
	}
	if (!irqchip)
		return;
	t->gic_fd = __kvm_create_device(t->vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	__TEST_REQUIRE(t->gic_fd >= 0, "no vGICv3 on this host");
	kvm_device_attr_set(t->gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	kvm_device_attr_set(t->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			    KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

/* A runnable VM with PMUv3 whose PMU is initialised; 0 or the opt-in errno. */
static int pmu_vm_setup(struct tvm *t, void *guest_code, bool opt_in)
{
	int err = 0;

	tvm_add(t, guest_code, true);
	if (opt_in && module_loaded)
		err = pmu_attr(t->vcpu, KVM_SET_DEVICE_ATTR,
			       KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL);
	pmu_vcpu_init(t->vcpu);
	return err;
}

static uint64_t vcpu_pmcr_n(struct kvm_vcpu *vcpu)
{
	uint64_t pmcr;

	vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), &pmcr);
	return FIELD_GET(ARMV8_PMU_PMCR_N, pmcr);
}

/* Whether GET of the partitioned attribute says the VM is partitioned. */
static bool vm_is_partitioned(struct kvm_vcpu *vcpu)
{
	uint64_t n = 0;

	return !pmu_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED,
			 &n) && n > 0;
}

/* ------------------------------------------- random attribute calls */

enum op { OP_SET, OP_GET, OP_HAS, OPS };

static const unsigned long op_requests[] = {
	KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR,
};
static const char *const op_names[] = { "SET", "GET", "HAS" };

enum addr_kind {
	ADDR_NULL, ADDR_UNMAPPED, ADDR_INACCESSIBLE, ADDR_READ_ONLY, ADDR_VALID, ADDR_KINDS
};

static const char *const addr_names[] = {
	"NULL", "unmapped", "inaccessible", "read-only", "valid",
};

/* Above every mapping of a 48-bit user address space. */
#define UNMAPPED_ADDRESS	BIT_ULL(48)

#define FUZZ_TARGETS	6

struct fuzz_target {
	const char *name;
	struct tvm t;
	bool pmu;	/* KVM_ARM_VCPU_INIT with PMUv3 */
	bool irqchip;	/* an in-kernel vGIC */
	bool too_late;	/* PMU initialised or the VM ran: no mode SET works */
};

/* A random SET of INIT that worked makes it too late for the modes. */
static void note_fuzz_call(struct fuzz_target *target, enum op op,
			   const struct kvm_device_attr *attr, int err)
{
	if (op == OP_SET && !err && attr->group == KVM_ARM_VCPU_PMU_V3_CTRL &&
	    attr->attr == KVM_ARM_VCPU_PMU_V3_INIT)
		target->too_late = true;
}

static const uint64_t fuzz_attributes[] = {
	KVM_ARM_VCPU_PMU_V3_IRQ, KVM_ARM_VCPU_PMU_V3_INIT, KVM_ARM_VCPU_PMU_V3_FILTER,
	KVM_ARM_VCPU_PMU_V3_SET_PMU, 4, KVM_PMU_PARTITION_ATTR_PARTITIONED,
	KVM_PMU_PARTITION_ATTR_PARTITIONED, KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY,
	KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY, 0x102, ~0ULL,
};

/* 0x100 or 0x101: the module's attributes, unknown ones to stock KVM. */
static bool is_partition_attribute(uint32_t group, uint64_t attribute)
{
	return group == KVM_ARM_VCPU_PMU_V3_CTRL &&
	       (attribute == KVM_PMU_PARTITION_ATTR_PARTITIONED ||
		attribute == KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY);
}

/*
 * The errno table of include/uapi/linux/kvm_pmu_partition.h, narrowed
 * where the target's state decides: without PMUv3 SET is ENODEV and GET
 * and HAS are ENXIO; once too late SET is EBUSY; on the rig (PMUs on every
 * CPU, no pseudo-NMI, AArch64 EL1, no nested virtualisation) a vCPU with
 * PMUv3 can have the partitioned mode, so HAS is 0.
 */
static uint64_t module_attribute_errnos(enum op op, uint64_t attribute,
					const struct fuzz_target *target, bool writable)
{
	bool partitioned = attribute == KVM_PMU_PARTITION_ATTR_PARTITIONED;

	switch (op) {
	case OP_SET:
		if (!target->pmu)
			return errno_bit(ENODEV);
		if (target->too_late)
			return errno_bit(EBUSY);
		return SUCCESS | errno_bit(EBUSY) | errno_bit(EEXIST) | errno_bit(EINVAL) |
		       errno_bit(EOPNOTSUPP) | errno_bit(ENOSPC);
	case OP_GET:
		if (!target->pmu)
			return errno_bit(ENXIO);
		if (!partitioned)	/* no payload */
			return SUCCESS | errno_bit(ENXIO);
		return errno_bit(ENXIO) | (writable ? SUCCESS : errno_bit(EFAULT));
	default:
		if (!target->pmu)
			return errno_bit(ENXIO);
		/* The fixed mode is impossible after SET_PMU or FILTER. */
		return partitioned ? SUCCESS : SUCCESS | errno_bit(ENXIO);
	}
}

/* What KVM 6.12 returns for the PMU group (pmu-emul.c). */
static uint64_t kvm_pmu_errnos(enum op op, uint64_t attribute,
			       const struct fuzz_target *target, bool writable)
{
	/* The module may refuse SET_PMU and FILTER for a fixed VM. */
	uint64_t fixed = module_loaded && (attribute == KVM_ARM_VCPU_PMU_V3_FILTER ||
					   attribute == KVM_ARM_VCPU_PMU_V3_SET_PMU) ?
			 errno_bit(EINVAL) | errno_bit(EBUSY) : 0;

	if (op == OP_HAS)
		return attribute <= KVM_ARM_VCPU_PMU_V3_SET_PMU && target->pmu ?
		       SUCCESS : errno_bit(ENXIO);
	if (op == OP_GET) {
		if (attribute != KVM_ARM_VCPU_PMU_V3_IRQ)
			return errno_bit(ENXIO);
		if (!target->irqchip)
			return errno_bit(EINVAL);
		if (!target->pmu)
			return errno_bit(ENODEV);
		return errno_bit(ENXIO) | (writable ? SUCCESS : errno_bit(EFAULT));
	}
	if (!target->pmu)
		return errno_bit(ENODEV);
	if (target->too_late)
		return errno_bit(EBUSY) | fixed;
	switch (attribute) {
	case KVM_ARM_VCPU_PMU_V3_IRQ:
		if (!target->irqchip)	/* or EBUSY once a random INIT worked */
			return errno_bit(EINVAL) | errno_bit(EBUSY);
		return SUCCESS | errno_bit(EFAULT) | errno_bit(EINVAL) | errno_bit(EBUSY);
	case KVM_ARM_VCPU_PMU_V3_INIT:
		return SUCCESS | errno_bit(ENODEV) | errno_bit(ENXIO) | errno_bit(EBUSY) |
		       errno_bit(EINVAL) | errno_bit(EEXIST) | errno_bit(EAGAIN);
	case KVM_ARM_VCPU_PMU_V3_FILTER:
		return SUCCESS | errno_bit(EFAULT) | errno_bit(EINVAL) | errno_bit(EBUSY) |
		       errno_bit(ENOMEM) | fixed;
	case KVM_ARM_VCPU_PMU_V3_SET_PMU:
		return SUCCESS | errno_bit(EFAULT) | errno_bit(ENXIO) | errno_bit(EBUSY) | fixed;
	default:
		return errno_bit(ENXIO);
	}
}

/* What KVM 6.12 returns for @group (guest.c, arch_timer.c, pvtime.c). */
static uint64_t kvm_attribute_errnos(enum op op, uint32_t group, uint64_t attribute,
				     const struct fuzz_target *target, bool writable)
{
	uint64_t written = writable ? SUCCESS : errno_bit(EFAULT);

	switch (group) {
	case KVM_ARM_VCPU_PMU_V3_CTRL:
		return kvm_pmu_errnos(op, attribute, target, writable);
	case KVM_ARM_VCPU_TIMER_CTRL:
		if (op == OP_SET)
			return target->irqchip ? SUCCESS | errno_bit(EINVAL) | errno_bit(EFAULT) |
						 errno_bit(EBUSY) | errno_bit(ENXIO) :
						 errno_bit(EINVAL);
		if (attribute > KVM_ARM_VCPU_TIMER_IRQ_HPTIMER)
			return errno_bit(ENXIO);
		return op == OP_GET ? written : SUCCESS;
	case KVM_ARM_VCPU_PVTIME_CTRL:
		if (attribute != KVM_ARM_VCPU_PVTIME_IPA)
			return errno_bit(ENXIO);
		if (op == OP_SET)
			return SUCCESS | errno_bit(ENXIO) | errno_bit(EFAULT) | errno_bit(EINVAL) |
			       errno_bit(EEXIST);
		return errno_bit(ENXIO) | (op == OP_GET ? written : SUCCESS);
	default:
		return errno_bit(ENXIO);
	}
}

static uint32_t random_group(void)
{
	uint64_t r = rng() % 10;

	if (r < 5)
		return KVM_ARM_VCPU_PMU_V3_CTRL;
	if (r < 8)
		return 1 + rng() % 8;
	return rng();
}

static uint64_t random_attribute(void)
{
	uint64_t r = rng() % (ARRAY_SIZE(fuzz_attributes) + 2);

	return r < ARRAY_SIZE(fuzz_attributes) ? fuzz_attributes[r] : rng();
}

/* What a VMM might leave at a valid address: an IRQ, a PMU, a filter, junk. */
static void fill_payload(uint64_t *payload, size_t words)
{
	struct kvm_pmu_event_filter *filter = (void *)payload;

	memset(payload, 0, words * sizeof(*payload));
	switch (rng() % 4) {
	case 0:
		*(int *)payload = PMU_VM_IRQ;
		break;
	case 1:
		*(int *)payload = host_pmu.type;
		break;
	case 2:
		filter->base_event = rng() % 2 ? ARMV8_PMUV3_PERFCTR_CPU_CYCLES : rng();
		filter->nevents = rng() % 2 ? 1 : rng();
		filter->action = rng() % 3;
		break;
	default:
		for (size_t i = 0; i < words; i++)
			payload[i] = rng();
	}
}

static void *map_page(int prot)
{
	void *page = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(page != MAP_FAILED, "mmap");
	*(int *)page = PMU_VM_IRQ;
	TEST_ASSERT(!mprotect(page, getpagesize(), prot), "mprotect");
	return page;
}

static void fuzz_targets_create(struct fuzz_target *targets)
{
	struct ucall uc;

	targets[0] = (struct fuzz_target){ .name = "before KVM_ARM_VCPU_INIT" };
	bare_vm_create(&targets[0].t, false, false, false);
	targets[1] = (struct fuzz_target){ .name = "without PMUv3", .irqchip = true };
	bare_vm_create(&targets[1].t, true, false, true);
	targets[2] = (struct fuzz_target){ .name = "PMU not initialised", .pmu = true,
					   .irqchip = true };
	bare_vm_create(&targets[2].t, true, true, true);
	targets[3] = (struct fuzz_target){ .name = "no in-kernel irqchip", .pmu = true };
	bare_vm_create(&targets[3].t, true, true, false);
	targets[4] = (struct fuzz_target){ .name = "PMU initialised", .pmu = true,
					   .irqchip = true, .too_late = true };
	bare_vm_create(&targets[4].t, true, true, true);
	pmu_vcpu_init(targets[4].t.vcpu);
	targets[5] = (struct fuzz_target){ .name = "the VM ran", .pmu = true,
					   .irqchip = true, .too_late = true };
	pmu_vm_setup(&targets[5].t, guest_sync_forever, false);
	TEST_ASSERT(run_to_ucall(targets[5].t.vcpu, &uc) == UCALL_SYNC, "first run");
}

/* The VMs, the pages and the counts of FUZZ_CALLS random calls. */
struct fuzz_run {
	struct fuzz_target targets[FUZZ_TARGETS];
	bool targets_exist;
	void *read_only, *inaccessible;
	int kmsg;
	int partition_calls, partition_bad;	/* of 0x100 and 0x101 */
	int kvm_calls, kvm_bad;			/* of every other attribute */
};

static void fuzz_run_calls(struct fuzz_run *run)
{
	/* Unexpected results for 0x100 and 0x101: target, op, attribute. */
	int partition_bad_by[FUZZ_TARGETS][OPS][2] = {}, last_err[FUZZ_TARGETS][OPS][2];
	uint64_t payload[512], allowed;
	char allowed_text[128];

	for (int call = 0; call < FUZZ_CALLS; call++) {
		int target_index = rng() % FUZZ_TARGETS;
		struct fuzz_target *target = &run->targets[target_index];
		struct kvm_device_attr attr = {
			.flags = rng() % 8 ? 0 : rng(),
			.group = random_group(),
			.attr = random_attribute(),
		};
		enum addr_kind kind = rng() % ADDR_KINDS;
		enum op op = rng() % OPS;
		bool bad_struct = rng() % 32 == 0, partition_attribute;
		int err;

		fill_payload(payload, ARRAY_SIZE(payload));
		attr.addr = kind == ADDR_NULL ? 0 :
			    kind == ADDR_UNMAPPED ? UNMAPPED_ADDRESS :
			    kind == ADDR_INACCESSIBLE ? (uint64_t)run->inaccessible :
			    kind == ADDR_READ_ONLY ? (uint64_t)run->read_only : (uint64_t)payload;
		err = ioctl(target->t.vcpu->fd, op_requests[op],
			    bad_struct ? run->inaccessible : (void *)&attr) ? errno : 0;

		partition_attribute = !bad_struct && is_partition_attribute(attr.group, attr.attr);
		if (bad_struct)
			allowed = errno_bit(EFAULT);
		else if (partition_attribute && module_loaded)
			allowed = module_attribute_errnos(op, attr.attr, target,
							  kind == ADDR_VALID);
		else
			allowed = kvm_attribute_errnos(op, attr.group, attr.attr, target,
						       kind == ADDR_VALID);
		note_fuzz_call(target, op, &attr, err);
		run->partition_calls += partition_attribute;
		run->kvm_calls += !partition_attribute;
		if (errno_in(err, allowed))
			continue;
		if (run->partition_bad + run->kvm_bad < MISMATCHES_SHOWN) {
			format_errnos(allowed, allowed_text, sizeof(allowed_text));
			ksft_print_msg("call %d: %s group %u attr 0x%llx addr %s%s on a vCPU %s: %s, expected %s\n",
				       call, op_names[op], attr.group, attr.attr, addr_names[kind],
				       bad_struct ? " (bad struct pointer)" : "", target->name,
				       errno_name(err), allowed_text);
		}
		run->partition_bad += partition_attribute;
		run->kvm_bad += !partition_attribute;
		if (partition_attribute) {
			int fixed = attr.attr == KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY;

			partition_bad_by[target_index][op][fixed]++;
			last_err[target_index][op][fixed] = err;
		}
	}
	for (int i = 0; i < FUZZ_TARGETS; i++)
		for (int op = 0; op < OPS; op++)
			for (int fixed = 0; fixed < 2; fixed++)
				if (partition_bad_by[i][op][fixed])
					ksft_print_msg("on a vCPU %s: %d unexpected results of %s 0x%x (last: %s)\n",
						       run->targets[i].name,
						       partition_bad_by[i][op][fixed], op_names[op],
						       fixed ? 0x101 : 0x100,
						       errno_name(last_err[i][op][fixed]));
	ksft_print_msg("%d calls: %d of 0x100 and 0x101 (%s; %d unexpected), %d others (%d unexpected)\n",
		       FUZZ_CALLS, run->partition_calls,
		       module_loaded ? "the module's table" : "stock KVM's errnos",
		       run->partition_bad, run->kvm_calls, run->kvm_bad);
}

static void fuzz_run_destroy_vms(struct fuzz_run *run)
{
	if (run->targets_exist)
		for (int i = 0; i < FUZZ_TARGETS; i++)
			tvm_destroy(&run->targets[i].t);
	run->targets_exist = false;
}

/*
 * Rule: every attribute call returns an errno of the module's table for
 * its attributes (with the module) or of stock KVM's for 0x100 and 0x101
 * (without), and one of KVM's for the others; the kernel warns about
 * none; a VM that ran keeps running.
 *
 * Host: the rig's PMUv3, every mode. Inputs: FUZZ_CALLS calls, each SET,
 * GET or HAS of a random group (the PMU group half the time) and
 * attribute (KVM's PMU ones, 0x100, 0x101, their neighbours, junk), random
 * flags now and then, an address NULL, unmapped, PROT_NONE, read-only or
 * valid (with an IRQ, a host PMU, a filter or junk) or a bad struct
 * pointer, on a vCPU of one of six VMs: before KVM_ARM_VCPU_INIT, without
 * PMUv3, PMU not initialised, no in-kernel irqchip, PMU initialised, ran.
 * Setup makes the VMs and the calls; each test judges one side of them.
 */
FIXTURE(random_attribute_calls) {
	struct fuzz_run run;
};

FIXTURE_SETUP(random_attribute_calls)
{
	struct fuzz_run *run = &self->run;

	test_begin();
	run->kmsg = kmsg_mark();
	/* Mapped PROT_NONE rather than unmapped: nothing else lands there. */
	run->read_only = map_page(PROT_READ);
	run->inaccessible = map_page(PROT_NONE);
	fuzz_targets_create(run->targets);
	run->targets_exist = true;
	fuzz_run_calls(run);
}

FIXTURE_TEARDOWN(random_attribute_calls)
{
	fuzz_run_destroy_vms(&self->run);
	munmap(self->run.read_only, getpagesize());
	munmap(self->run.inaccessible, getpagesize());
	if (self->run.kmsg >= 0)
		close(self->run.kmsg);
	test_end(_metadata->name);
}

/* With the module its table; stock KVM: ENXIO (EBUSY, ENODEV by state). */
TEST_F_TIMEOUT(random_attribute_calls,
	       random_calls_of_0x100_and_0x101_return_errnos_of_the_uapi_table_or_stock_kvm,
	       TEST_TIMEOUT)
{
	EXPECT_LT(0, self->run.partition_calls);
	EXPECT_EQ(0, self->run.partition_bad);
}

TEST_F_TIMEOUT(random_attribute_calls, random_calls_of_kvm_attributes_return_kvm_errnos,
	       TEST_TIMEOUT)
{
	EXPECT_LT(0, self->run.kvm_calls);
	EXPECT_EQ(0, self->run.kvm_bad);
}

TEST_F_TIMEOUT(random_attribute_calls, a_vm_still_runs_after_random_attribute_calls,
	       TEST_TIMEOUT)
{
	struct ucall uc;

	EXPECT_EQ(UCALL_SYNC, run_to_ucall(self->run.targets[5].t.vcpu, &uc));
}

/* Another run of the VM that ran, and destroying the VMs, may warn too. */
TEST_F_TIMEOUT(random_attribute_calls, random_attribute_calls_leave_no_kernel_warning,
	       TEST_TIMEOUT)
{
	struct ucall uc;
	int trouble;

	run_to_ucall(self->run.targets[5].t.vcpu, &uc);
	fuzz_run_destroy_vms(&self->run);
	trouble = kmsg_warnings(self->run.kmsg);
	self->run.kmsg = -1;
	EXPECT_EQ(0, trouble);
}

/* ------------------------------------------------- ONE_REG abuse */

enum register_kind { REGISTER_PMCR, REGISTER_TYPE, REGISTER_OTHER };

struct pmu_register {
	char name[24];
	uint64_t id;
	enum register_kind kind;
};

static struct pmu_register pmu_registers[16 + 2 * 31];
static int pmu_register_count;

struct one_reg_results {
	unsigned long writes, refused;
	int last_errno;			/* of the last refused write */
	const char *last_refused;	/* its register */
};

static void add_pmu_register(const char *name, uint64_t encoding, enum register_kind kind)
{
	struct pmu_register *r = &pmu_registers[pmu_register_count++];

	snprintf(r->name, sizeof(r->name), "%s", name);
	r->id = KVM_ARM64_SYS_REG(encoding);
	r->kind = kind;
}

static void list_pmu_registers(void)
{
	char name[24];

	add_pmu_register("PMCR_EL0", SYS_PMCR_EL0, REGISTER_PMCR);
	add_pmu_register("PMSELR_EL0", SYS_PMSELR_EL0, REGISTER_OTHER);
	add_pmu_register("PMUSERENR_EL0", SYS_PMUSERENR_EL0, REGISTER_OTHER);
	add_pmu_register("PMCNTENSET_EL0", SYS_PMCNTENSET_EL0, REGISTER_OTHER);
	add_pmu_register("PMCNTENCLR_EL0", SYS_PMCNTENCLR_EL0, REGISTER_OTHER);
	add_pmu_register("PMINTENSET_EL1", SYS_PMINTENSET_EL1, REGISTER_OTHER);
	add_pmu_register("PMINTENCLR_EL1", SYS_PMINTENCLR_EL1, REGISTER_OTHER);
	add_pmu_register("PMOVSSET_EL0", SYS_PMOVSSET_EL0, REGISTER_OTHER);
	add_pmu_register("PMOVSCLR_EL0", SYS_PMOVSCLR_EL0, REGISTER_OTHER);
	add_pmu_register("PMCCNTR_EL0", SYS_PMCCNTR_EL0, REGISTER_OTHER);
	add_pmu_register("PMCCFILTR_EL0", SYS_PMCCFILTR_EL0, REGISTER_TYPE);
	for (int n = 0; n < 31; n++) {
		snprintf(name, sizeof(name), "PMEVCNTR%d_EL0", n);
		add_pmu_register(name, SYS_PMEVCNTRn_EL0(n), REGISTER_OTHER);
		snprintf(name, sizeof(name), "PMEVTYPER%d_EL0", n);
		add_pmu_register(name, SYS_PMEVTYPERn_EL0(n), REGISTER_TYPE);
	}
}

/* PMEVTYPER/PMCCFILTR bits that ask for counting beyond EL0 and EL1. */
#define TYPE_MT			BIT(25)
#define TYPE_SH			BIT(24)
#define TYPE_ELSEWHERE		(ARMV8_PMU_INCLUDE_EL2 | ARMV8_PMU_EXCLUDE_EL3 | \
				 TYPE_MT | TYPE_SH | GENMASK_ULL(63, 32))
#define PMCR_HOSTILE		(ARMV8_PMU_PMCR_LP | ARMV8_PMU_PMCR_X | ARMV8_PMU_PMCR_D | \
				 ARMV8_PMU_PMCR_DP | ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E | \
				 ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C)

/* Random bits; every other value also has every hostile bit of its kind. */
static uint64_t hostile_value(enum register_kind kind)
{
	uint64_t value = rng();
	bool all = rng() % 2;

	switch (kind) {
	case REGISTER_PMCR:
		return all ? value | PMCR_HOSTILE : value;
	case REGISTER_TYPE:
		return all ? value | TYPE_ELSEWHERE | ARMV8_PMU_EXCLUDE_NS_EL1 |
			     ARMV8_PMU_EXCLUDE_NS_EL0 | ARMV8_PMU_EVTYPE_EVENT : value;
	default:
		return all ? ~0ULL : value;
	}
}

static void abuse_pmu_registers(struct kvm_vcpu *vcpu, struct one_reg_results *results)
{
	for (int round = 0; round < ABUSE_ROUNDS; round++) {
		for (int i = 0; i < pmu_register_count; i++) {
			int err = __vcpu_set_reg(vcpu, pmu_registers[i].id,
						 hostile_value(pmu_registers[i].kind)) ? errno : 0;

			results->writes++;
			if (err) {
				results->refused++;
				results->last_errno = err;
				results->last_refused = pmu_registers[i].name;
			}
		}
	}
}

/*
 * The abuse before a VM's first run, which may lower PMCR_EL0.N, even to
 * 0; N goes back to @pmcr_n, so that the VM can run on any host.
 */
static void abuse_before_first_run(struct kvm_vcpu *vcpu, uint64_t pmcr_n,
				   struct one_reg_results *results)
{
	abuse_pmu_registers(vcpu, results);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0),
		     (rng() & ~(uint64_t)ARMV8_PMU_PMCR_N) | FIELD_PREP(ARMV8_PMU_PMCR_N, pmcr_n));
}

/*
 * Counter 0 counts INST_RETIRED and the cycle counter cycles at EL1 and
 * EL0 and, as far as a VMM can ask, at EL2 (NSH) and everywhere else the
 * types have a bit for.
 */
static void set_hostile_counting(struct kvm_vcpu *vcpu)
{
	uint64_t elsewhere = ARMV8_PMU_INCLUDE_EL2 | (rng() & TYPE_ELSEWHERE);

	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMEVTYPERn_EL0(0)),
		     ARMV8_PMUV3_PERFCTR_INST_RETIRED | elsewhere);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCCFILTR_EL0),
		     ARMV8_PMU_INCLUDE_EL2 | (rng() & (TYPE_ELSEWHERE | GENMASK(15, 0))));
}

/*
 * Guest: first counts a while with whatever the VMM left (its PMCR_EL0,
 * enables and types), then measures HVC loops of HVC_K and 2 x HVC_K
 * iterations with the types the VMM set (least of REPEATS each).
 */
static void guest_count_after_abuse(void)
{
	struct loop_counts least;
	uint64_t pmcr;

	for (;;) {
		pmcr = read_sysreg(pmcr_el0);
		write_sysreg(pmcr | ARMV8_PMU_PMCR_E, pmcr_el0);
		isb();
		for (int i = 0; i < GUEST_LOOP; i++)
			asm volatile("nop");
		write_sysreg(pmcr & ~ARMV8_PMU_PMCR_E, pmcr_el0);
		isb();
		least = guest_least_counts(guest_count_hvc_loop, HVC_K, REPEATS);
		ucall(UCALL_SYNC, 6, least.inst1, least.cycles1, least.inst2, least.cycles2,
		      read_sysreg(pmevtyper0_el0), read_sysreg(pmccfiltr_el0));
	}
}

/* The abused VM: PMUv3, opted in to the partitioned PMU, its PMU initialised. */
static uint64_t el2_vm_create(struct tvm *t)
{
	int err = pmu_vm_setup(t, guest_count_after_abuse, true);

	if (err)
		ksft_print_msg("opting the abused VM in: %s\n", strerror(err));
	return vcpu_pmcr_n(t->vcpu);
}

/*
 * Run @run of the abused VM: every PMU register written ABUSE_ROUNDS
 * times (PMCR_EL0.N put back to @pmcr_n before the first run), counter 0
 * and the cycle counter asked to count at EL2 and elsewhere, a run.
 */
static bool el2_vm_abuse_and_run(struct tvm *t, uint64_t pmcr_n, int run,
				 struct one_reg_results *results, struct ucall *uc)
{
	if (run)
		abuse_pmu_registers(t->vcpu, results);
	else
		abuse_before_first_run(t->vcpu, pmcr_n, results);
	set_hostile_counting(t->vcpu);
	return run_to_ucall(t->vcpu, uc) == UCALL_SYNC;
}

/*
 * Rule: whatever a VMM writes with KVM_SET_ONE_REG (NSH, M, MT, SH, high
 * event bits, PMCR_EL0.LP/X/D, any counter, before the first run and
 * between runs), a partitioned guest counts nothing at EL2: the counts of
 * HVC_K and 2 x HVC_K HVC loop iterations differ by the guest's own
 * instructions only (as partitioned_pmu.c's test_no_el2_counting). With
 * the module the VM must be partitioned after its first run; on stock
 * KVM the same holds for its emulated PMU.
 *
 * Host: the rig's PMUv3, every mode. Inputs: one VM opted in with SET of
 * 0x100, ABUSE_RUNS runs, each after ABUSE_ROUNDS writes of every PMU
 * register with hostile values (random bits, or every hostile bit of the
 * register's kind) and EL2-counting event types.
 */
FIXTURE(one_reg_abuse_el2) {
	struct tvm t;
	bool vm_exists;
	uint64_t pmcr_n;
};

FIXTURE_SETUP(one_reg_abuse_el2)
{
	test_begin();
	self->pmcr_n = el2_vm_create(&self->t);
	self->vm_exists = true;
}

FIXTURE_TEARDOWN(one_reg_abuse_el2)
{
	if (self->vm_exists)
		tvm_destroy(&self->t);
	test_end(_metadata->name);
}

struct el2_counts {
	bool ran;		/* every run got to its ucall */
	bool not_partitioned;	/* with the module: not after the first run */
	bool inst_ok;		/* INST_RETIRED: the guest's HVC loop only */
	bool cycles_ok;		/* CPU_CYCLES: the same (-icount: 1 per insn) */
};

static struct el2_counts el2_runs(struct tvm *t, uint64_t pmcr_n)
{
	uint64_t expected = (uint64_t)HVC_K * HVC_LOOP_INSNS, inst_diff, cycle_diff;
	struct el2_counts c = { .ran = true, .inst_ok = true, .cycles_ok = true };
	struct one_reg_results results = {};
	struct ucall uc;

	for (int run = 0; c.ran && run < ABUSE_RUNS; run++) {
		c.ran = el2_vm_abuse_and_run(t, pmcr_n, run, &results, &uc);
		if (!run && module_loaded)
			c.not_partitioned = !vm_is_partitioned(t->vcpu);
		inst_diff = uc.args[2] - uc.args[0];
		cycle_diff = uc.args[3] - uc.args[1];
		ksft_print_msg("run %d: %d more HVCs: INST_RETIRED +%lu, CPU_CYCLES +%lu (guest-only: %lu); PMEVTYPER0 0x%lx, PMCCFILTR 0x%lx\n",
			       run, HVC_K, inst_diff, cycle_diff, expected, uc.args[4], uc.args[5]);
		c.inst_ok &= c.ran && (icount ? inst_diff == expected : inst_diff <= 2 * expected);
		c.cycles_ok &= c.ran && cycle_diff == expected;
	}
	ksft_print_msg("%lu ONE_REG writes, %lu refused (last: %s, %s)\n", results.writes,
		       results.refused, results.refused ? results.last_refused : "-",
		       results.refused ? errno_name(results.last_errno) : "-");
	return c;
}

TEST_F_TIMEOUT(one_reg_abuse_el2, abused_event_counter_counts_no_el2_instructions,
	       TEST_TIMEOUT)
{
	struct el2_counts c;

	if (!host_pmu.inst_retired)
		SKIP(return, "no INST_RETIRED: QEMU without -icount");
	c = el2_runs(&self->t, self->pmcr_n);
	EXPECT_TRUE(c.ran);
	EXPECT_FALSE(c.not_partitioned);
	EXPECT_TRUE(c.inst_ok);
}

TEST_F_TIMEOUT(one_reg_abuse_el2, abused_cycle_counter_counts_no_el2_cycles, TEST_TIMEOUT)
{
	struct el2_counts c;

	if (!icount)
		SKIP(return, "needs -icount");
	c = el2_runs(&self->t, self->pmcr_n);
	EXPECT_TRUE(c.ran);
	EXPECT_FALSE(c.not_partitioned);
	EXPECT_TRUE(c.cycles_ok);
}

/*
 * Guest: after a first exit, counts a loop with all its counters on and
 * PMCR_EL0 as it finds it, then stops them and exits. (Stock KVM backs a
 * counting guest counter with a pinned perf event of the VMM thread,
 * which competes with the VMM's own pinned event.)
 */
static void guest_counting_loop(void)
{
	uint64_t pmcr;

	GUEST_SYNC(0);
	for (;;) {
		pmcr = read_sysreg(pmcr_el0);
		write_sysreg(~0UL, pmcntenset_el0);
		write_sysreg(pmcr | ARMV8_PMU_PMCR_E, pmcr_el0);
		isb();
		for (int i = 0; i < GUEST_LOOP; i++)
			asm volatile("nop");
		write_sysreg(pmcr & ~ARMV8_PMU_PMCR_E, pmcr_el0);
		isb();
		GUEST_SYNC(0);
	}
}

#define HOST_ATTEMPTS	(4 * REPEATS)

/*
 * The VMs of one_reg_abuse_host_perf: the VMM thread's pinned INST_RETIRED
 * event at host EL0, created disabled before the VMs (perf schedules
 * pinned events of a task in the order they were created, and a disabled
 * one holds no counter when a partitioned VM claims its counters), then
 * two VMs opted in to the partitioned PMU, the second abused before its
 * first run, and a first run of each (which makes a VM partitioned and
 * claims its counters).
 */
struct host_perf_vms {
	struct tvm vms[2];	/* left alone, abused */
	int created, fd;
	bool guest_ok;		/* the event exists and every run got to its ucall */
	int not_partitioned;	/* with the module: VMs not partitioned */
	struct one_reg_results results;
};

static void host_perf_vms_create(struct host_perf_vms *p)
{
	struct ucall uc;

	p->guest_ok = true;
	p->fd = open_host_el0_event(&host_pmu, ARMV8_PMUV3_PERFCTR_INST_RETIRED, 0, -1, true);
	if (p->fd < 0) {
		ksft_print_msg("perf_event_open %s/inst_retired: %s\n", host_pmu.name,
			       strerror(errno));
		p->guest_ok = false;
	}
	for (int kind = 0; kind < 2; kind++) {
		if (pmu_vm_setup(&p->vms[kind], guest_counting_loop, true))
			ksft_print_msg("opting VM %d in failed\n", kind);
		p->created++;
		if (kind)
			abuse_before_first_run(p->vms[kind].vcpu, vcpu_pmcr_n(p->vms[kind].vcpu),
					       &p->results);
		p->guest_ok &= run_to_ucall(p->vms[kind].vcpu, &uc) == UCALL_SYNC;
		if (module_loaded)
			p->not_partitioned += !vm_is_partitioned(p->vms[kind].vcpu);
	}
}

static void host_perf_vms_destroy(struct host_perf_vms *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	while (p->created)
		tvm_destroy(&p->vms[--p->created]);
}

struct host_perf_counts {
	uint64_t least[2];	/* left alone, abused */
	int clean[2];		/* measurements whose KVM_RUN was not re-entered */
	bool guest_ok;		/* and every measured run got to its ucall */
	bool running;		/* the event counted whenever it was enabled */
};

/*
 * The event counting the VMM's user space over a loop, KVM_RUN and a
 * read, alternately for each VM, the abused one abused again before each
 * of its runs, outside the measured window; REPEATS clean rounds each.
 */
static struct host_perf_counts host_perf_measure(struct host_perf_vms *p)
{
	struct host_perf_counts m = { .least = { ~0UL, ~0UL }, .guest_ok = p->guest_ok,
				      .running = true };
	struct perf_count c[HOST_ATTEMPTS], counts[2][REPEATS];
	int entries[HOST_ATTEMPTS], attempts, attempt, kind;
	volatile unsigned long spin;
	struct ucall uc;

	errno = 0;
	if (p->fd >= 0)
		read_event(p->fd);	/* binds the PLT entries before measuring */
	for (attempt = 0; attempt < HOST_ATTEMPTS && p->fd >= 0 && m.guest_ok &&
	     (m.clean[0] < REPEATS || m.clean[1] < REPEATS); attempt++) {
		int rc;

		kind = attempt % 2;
		if (kind)
			abuse_pmu_registers(p->vms[kind].vcpu, &p->results);
		ioctl(p->fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(p->fd, PERF_EVENT_IOC_ENABLE, 0);
		for (spin = 0; spin < HOST_LOOP; spin++)
			;
		rc = run_counting_entries(p->vms[kind].vcpu, &entries[attempt]);
		c[attempt] = read_event(p->fd);
		ioctl(p->fd, PERF_EVENT_IOC_DISABLE, 0);
		m.guest_ok &= !rc && get_ucall(p->vms[kind].vcpu, &uc) == UCALL_SYNC;
		m.running &= c[attempt].read_ok && c[attempt].enabled > 0 &&
			     c[attempt].running == c[attempt].enabled;
		if (entries[attempt] == 1 && m.clean[kind] < REPEATS)
			counts[kind][m.clean[kind]++] = c[attempt];
	}
	attempts = attempt;
	for (attempt = 0; attempt < attempts; attempt++)
		ksft_print_msg("%s VM: host INST_RETIRED %lu, enabled %lu ns, running %lu ns%s\n",
			       attempt % 2 ? "abused" : "untouched", c[attempt].value,
			       c[attempt].enabled, c[attempt].running,
			       entries[attempt] > 1 ? " (KVM_RUN re-entered: not used)" : "");
	for (kind = 0; kind < 2; kind++)
		for (int i = 0; i < m.clean[kind]; i++)
			if (counts[kind][i].read_ok)
				m.least[kind] = min_u64(m.least[kind], counts[kind][i].value);
	ksft_print_msg("least of %d rounds: untouched %lu, abused %lu; %lu ONE_REG writes, %lu refused\n",
		       REPEATS, m.least[0], m.least[1], p->results.writes, p->results.refused);
	return m;
}

/*
 * Rule: a guest's PMU state, whatever the VMM wrote to it, is its own: a
 * pinned INST_RETIRED event of the VMM thread counting its user space
 * over a loop, KVM_RUN and a read counts the same (least of REPEATS) for
 * a VM the VMM abused between runs as for one it left alone (as
 * partitioned_pmu.c's test_host_perf_unchanged), and keeps its counter
 * all along. With the module both VMs must be partitioned (setup).
 *
 * Host: the rig's PMUv3 with INST_RETIRED (-icount), every mode (SKIP
 * without INST_RETIRED). Inputs: the VMs of host_perf_vms_create(), the
 * abused one written ABUSE_ROUNDS times per register before each run.
 */
FIXTURE(one_reg_abuse_host_perf) {
	struct host_perf_vms p;
};

FIXTURE_SETUP(one_reg_abuse_host_perf)
{
	test_begin();
	self->p.fd = -1;
	if (!host_pmu.inst_retired)
		return;		/* every test SKIPs */
	host_perf_vms_create(&self->p);
	ASSERT_EQ(0, self->p.not_partitioned) {
		TH_LOG("the module left VMs opted in with SET 0x100 unpartitioned");
	}
}

FIXTURE_TEARDOWN(one_reg_abuse_host_perf)
{
	host_perf_vms_destroy(&self->p);
	test_end(_metadata->name);
}

TEST_F_TIMEOUT(one_reg_abuse_host_perf, host_perf_count_unchanged_by_one_reg_abuse,
	       TEST_TIMEOUT)
{
	struct host_perf_counts m;

	if (!host_pmu.inst_retired)
		SKIP(return, "no INST_RETIRED: QEMU without -icount");
	m = host_perf_measure(&self->p);
	EXPECT_TRUE(m.guest_ok);
	EXPECT_EQ(REPEATS, m.clean[0]);
	EXPECT_EQ(REPEATS, m.clean[1]);
	EXPECT_EQ(m.least[0], m.least[1]);
	EXPECT_LT((uint64_t)HOST_LOOP, m.least[0]);
}

TEST_F_TIMEOUT(one_reg_abuse_host_perf, host_perf_event_kept_its_counter_through_one_reg_abuse,
	       TEST_TIMEOUT)
{
	struct host_perf_counts m;

	if (!host_pmu.inst_retired)
		SKIP(return, "no INST_RETIRED");
	m = host_perf_measure(&self->p);
	EXPECT_TRUE(m.guest_ok);
	EXPECT_TRUE(m.running);
}

/*
 * Rule: the VMs the ONE_REG tests measure are partitioned: the abused VM
 * of one_reg_abuse_el2 after its first run, and both VMs of
 * one_reg_abuse_host_perf after theirs, made by the same functions as
 * there; GET of 0x100 returns N > 0 for each.
 *
 * Host: the rig's PMUv3 with the module, every default_mode (SKIP on
 * stock KVM). Inputs: those three VMs, one after the other as there.
 */
FIXTURE(one_reg_abuse_vms) {
	struct host_perf_vms p;
	int checked, not_partitioned;
};

FIXTURE_SETUP(one_reg_abuse_vms)
{
	struct one_reg_results results = {};
	struct ucall uc;
	uint64_t pmcr_n;
	struct tvm t;

	test_begin();
	self->p.fd = -1;
	if (!module_loaded)
		return;		/* the test SKIPs */
	pmcr_n = el2_vm_create(&t);
	if (el2_vm_abuse_and_run(&t, pmcr_n, 0, &results, &uc)) {
		self->checked++;
		self->not_partitioned += !vm_is_partitioned(t.vcpu);
	}
	tvm_destroy(&t);
	host_perf_vms_create(&self->p);
	self->checked += self->p.created;
	self->not_partitioned += self->p.not_partitioned;
}

FIXTURE_TEARDOWN(one_reg_abuse_vms)
{
	host_perf_vms_destroy(&self->p);
	test_end(_metadata->name);
}

TEST_F_TIMEOUT(one_reg_abuse_vms, vms_of_the_one_reg_checks_are_partitioned, TEST_TIMEOUT)
{
	if (!module_loaded)
		SKIP(return, "stock KVM: no module");
	ksft_print_msg("%d of %d VMs not partitioned\n", self->not_partitioned, self->checked);
	EXPECT_EQ(3, self->checked);
	EXPECT_EQ(0, self->not_partitioned);
}

/* --------------------------------------------- duplicate vCPU ids */

/* The sysfs directories of vCPU @id in this process's VMs. */
static int sysfs_vcpu_directories(int id)
{
	char pattern[256];
	int count;
	glob_t g;

	snprintf(pattern, sizeof(pattern), SYSFS "/vm/%d.*/vcpu%d", getpid(), id);
	if (glob(pattern, 0, NULL, &g))
		return 0;
	count = g.gl_pathc;
	globfree(&g);
	return count;
}

struct vcpu_racer {
	int vm_fd, id, fd, err;
	pthread_barrier_t *barrier;
};

static void *race_for_vcpu_id(void *arg)
{
	struct vcpu_racer *racer = arg;

	pthread_barrier_wait(racer->barrier);
	racer->fd = ioctl(racer->vm_fd, KVM_CREATE_VCPU, racer->id);
	racer->err = racer->fd < 0 ? errno : 0;
	return NULL;
}

/*
 * Two threads per id, RACES ids, on a VM without a vGIC: the ids that one
 * thread got and the other lost with EEXIST, and whether each id then has
 * exactly one sysfs directory (with the module).
 */
static int race_for_vcpu_ids(bool *directories_ok)
{
	struct vcpu_racer racers[2];
	pthread_barrier_t barrier;
	pthread_t threads[2];
	struct kvm_vm *vm = vm_create_barebones();
	int fds[RACES], won = 0;

	pthread_barrier_init(&barrier, NULL, 2);
	for (int id = 0; id < RACES; id++) {
		for (int i = 0; i < 2; i++) {
			racers[i] = (struct vcpu_racer){ .vm_fd = vm->fd, .id = id,
							 .barrier = &barrier };
			pthread_create(&threads[i], NULL, race_for_vcpu_id, &racers[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(threads[i], NULL);
		fds[id] = racers[0].fd >= 0 ? racers[0].fd : racers[1].fd;
		if ((racers[0].fd >= 0) != (racers[1].fd >= 0) &&
		    (racers[0].err == EEXIST || racers[1].err == EEXIST))
			won++;
		else
			ksft_print_msg("id %d: %s and %s\n", id, errno_name(racers[0].err),
				       errno_name(racers[1].err));
		if (racers[0].fd >= 0 && racers[1].fd >= 0)
			close(racers[1].fd);
		if (module_loaded && sysfs_vcpu_directories(id) != 1)
			*directories_ok = false;
	}
	pthread_barrier_destroy(&barrier);
	for (int id = 0; id < RACES; id++)
		if (fds[id] >= 0)
			close(fds[id]);
	kvm_vm_free(vm);
	ksft_print_msg("%d of %d raced ids: one vCPU, the other EEXIST\n", won, RACES);
	return won;
}

/*
 * Rule: KVM_CREATE_VCPU of an id the VM already has fails with EEXIST
 * (KVM), also when two threads race for one id (exactly one wins), and
 * the vCPU created first keeps its module state, its sysfs directory and
 * its ability to run; the kernel warns about none of it (a module that
 * registered the loser's sysfs directory would log "duplicate filename").
 *
 * Host: the rig's PMUv3, every mode (the sysfs test SKIPs on stock KVM).
 * Inputs: a VM with vCPU 0 (PMUv3) and a second KVM_CREATE_VCPU of id 0,
 * before the vGIC exists (it refuses new vCPUs); then vCPU 0 given a
 * vGICv3 and its PMU and run; a VM without vGIC whose ids 0..RACES-1 two
 * threads create at once (race_for_vcpu_ids()). Setup makes the first VM
 * and the duplicate; the tests take it from there.
 */
FIXTURE(duplicate_vcpu_ids) {
	struct tvm t;
	bool vm_exists;
	int kmsg;
	int duplicate_err;	/* of the second KVM_CREATE_VCPU of id 0 */
	int first_directories;	/* sysfs directories of vCPU 0 after it */
};

FIXTURE_SETUP(duplicate_vcpu_ids)
{
	struct kvm_vcpu_init init;
	int fd;

	test_begin();
	self->kmsg = kmsg_mark();
	self->t.gic_fd = -1;
	self->t.vm = vm_create(1);
	self->vm_exists = true;
	vm_ioctl(self->t.vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
	self->t.vcpu = aarch64_vcpu_add(self->t.vm, 0, &init, guest_sync_forever);
	fd = ioctl(self->t.vm->fd, KVM_CREATE_VCPU, 0);
	self->duplicate_err = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	if (module_loaded)
		self->first_directories = sysfs_vcpu_directories(0);
}

/* vCPU 0 after the refused duplicate: a vGICv3, its PMU, a run; then the VM goes. */
static bool first_vcpu_runs(struct tvm *t, bool *vm_exists)
{
	struct ucall uc;
	bool runs;

	vm_init_descriptor_tables(t->vm);
	vcpu_init_descriptor_tables(t->vcpu);
	t->gic_fd = vgic_v3_setup(t->vm, 1, 64);
	pmu_vcpu_init(t->vcpu);
	runs = run_to_ucall(t->vcpu, &uc) == UCALL_SYNC;
	tvm_destroy(t);
	*vm_exists = false;
	return runs;
}

FIXTURE_TEARDOWN(duplicate_vcpu_ids)
{
	if (self->vm_exists)
		tvm_destroy(&self->t);
	if (self->kmsg >= 0)
		close(self->kmsg);
	test_end(_metadata->name);
}

TEST_F_TIMEOUT(duplicate_vcpu_ids, duplicate_vcpu_id_is_eexist, TEST_TIMEOUT)
{
	EXPECT_EQ(EEXIST, self->duplicate_err) {
		TH_LOG("second KVM_CREATE_VCPU of id 0: %s",
		       self->duplicate_err ? strerror(self->duplicate_err) : "success");
	}
}

TEST_F_TIMEOUT(duplicate_vcpu_ids, first_vcpu_still_runs_after_a_duplicate_id_was_refused,
	       TEST_TIMEOUT)
{
	EXPECT_TRUE(first_vcpu_runs(&self->t, &self->vm_exists));
}

TEST_F_TIMEOUT(duplicate_vcpu_ids,
	       racing_duplicate_vcpu_ids_create_one_vcpu_and_fail_the_other_with_eexist,
	       TEST_TIMEOUT)
{
	bool directories_ok = true;

	tvm_destroy(&self->t);
	self->vm_exists = false;
	EXPECT_EQ(RACES, race_for_vcpu_ids(&directories_ok));
}

TEST_F_TIMEOUT(duplicate_vcpu_ids, duplicate_vcpu_ids_keep_the_first_vcpus_sysfs_directory,
	       TEST_TIMEOUT)
{
	bool directories_ok = true;

	if (!module_loaded)
		SKIP(return, "stock KVM: no module");
	EXPECT_EQ(1, self->first_directories);
	first_vcpu_runs(&self->t, &self->vm_exists);
	race_for_vcpu_ids(&directories_ok);
	EXPECT_TRUE(directories_ok);
}

/* Everything the tests above do, the VMs' destruction included. */
TEST_F_TIMEOUT(duplicate_vcpu_ids, duplicate_vcpu_ids_leave_no_kernel_warning, TEST_TIMEOUT)
{
	bool directories_ok = true;
	int trouble;

	first_vcpu_runs(&self->t, &self->vm_exists);
	race_for_vcpu_ids(&directories_ok);
	trouble = kmsg_warnings(self->kmsg);
	self->kmsg = -1;
	EXPECT_EQ(0, trouble);
}

/* ------------------------------------------ attribute calls in any order */

enum step {
	STEP_PARTITIONED, STEP_FIXED, STEP_SET_PMU, STEP_FILTER, STEP_IRQ, STEP_INIT, STEPS
};

static const char *const step_names[] = {
	"0x100", "0x101", "SET_PMU", "FILTER", "IRQ", "INIT",
};

enum choice { CHOSE_NOTHING, CHOSE_PARTITIONED, CHOSE_FIXED };

static const char *const choice_names[] = { "nothing", "partitioned", "fixed" };
static int get_and_has_shown;

/* What the VMM did to a vCPU so far, as far as the table cares. */
struct pmu_model {
	bool pmu;		/* KVM_ARM_VCPU_INIT with PMUv3 */
	bool irq, created, ran, set_pmu, filter;
	enum choice chosen;	/* by a successful SET of 0x100 or 0x101 */
};

enum stage {
	STAGE_BEFORE_VCPU_INIT, STAGE_WITHOUT_PMUV3, STAGE_AFTER_VCPU_INIT,
	STAGE_AFTER_PMU_INIT, STAGE_AFTER_KVM_RUN, STAGES
};

static const char *const stage_names[] = {
	"before_vcpu_init", "without_pmuv3", "after_vcpu_init", "after_pmu_init",
	"after_kvm_run",
};

static int set_step(struct kvm_vcpu *vcpu, enum step step)
{
	static const uint64_t attributes[] = {
		KVM_PMU_PARTITION_ATTR_PARTITIONED, KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY,
		KVM_ARM_VCPU_PMU_V3_SET_PMU, KVM_ARM_VCPU_PMU_V3_FILTER,
		KVM_ARM_VCPU_PMU_V3_IRQ, KVM_ARM_VCPU_PMU_V3_INIT,
	};
	struct kvm_pmu_event_filter filter = {
		.base_event = ARMV8_PMUV3_PERFCTR_CPU_CYCLES,
		.nevents = 1,
		.action = KVM_PMU_EVENT_ALLOW,
	};
	int irq = PMU_VM_IRQ, pmu_type = host_pmu.type;
	void *payload = step == STEP_SET_PMU ? (void *)&pmu_type :
			step == STEP_FILTER ? (void *)&filter :
			step == STEP_IRQ ? (void *)&irq : NULL;

	return pmu_attr(vcpu, KVM_SET_DEVICE_ATTR, attributes[step], payload);
}

/* The table's answer to SET of @step; several errnos when several apply. */
static uint64_t expected_set(const struct pmu_model *m, enum step step)
{
	bool too_late = m->created || m->ran;
	uint64_t refusals = 0;

	if (!m->pmu)
		return errno_bit(ENODEV);
	if (step == STEP_PARTITIONED || step == STEP_FIXED) {
		if (!module_loaded)	/* unknown to stock KVM */
			return too_late ? errno_bit(EBUSY) : errno_bit(ENXIO);
		if (too_late)
			refusals |= errno_bit(EBUSY);
		if (m->chosen != CHOSE_NOTHING &&
		    m->chosen != (step == STEP_PARTITIONED ? CHOSE_PARTITIONED : CHOSE_FIXED))
			refusals |= errno_bit(EEXIST);
		if (step == STEP_FIXED && (m->set_pmu || m->filter))
			refusals |= errno_bit(EINVAL);
		return refusals ?: SUCCESS;
	}
	if (too_late)
		refusals |= errno_bit(EBUSY);
	switch (step) {
	case STEP_SET_PMU:
	case STEP_FILTER:
		if (m->chosen == CHOSE_FIXED)
			refusals |= errno_bit(EINVAL);
		break;
	case STEP_IRQ:
		if (m->irq)
			refusals |= errno_bit(EBUSY);
		break;
	default:	/* STEP_INIT */
		if (!refusals && !m->irq)
			refusals |= errno_bit(ENXIO);
		break;
	}
	return refusals ?: SUCCESS;
}

static void apply_step(struct pmu_model *m, enum step step)
{
	switch (step) {
	case STEP_PARTITIONED:
		m->chosen = CHOSE_PARTITIONED;
		break;
	case STEP_FIXED:
		m->chosen = CHOSE_FIXED;
		break;
	case STEP_SET_PMU:
		m->set_pmu = true;
		break;
	case STEP_FILTER:
		m->filter = true;
		break;
	case STEP_IRQ:
		m->irq = true;
		break;
	default:
		m->created = true;
	}
}

/*
 * GET and HAS of both attributes after a sequence: 0 for the mode the VMM
 * chose (GET 0x100 writing N), ENXIO for the other; a VM that did not
 * choose is in default_mode's mode once it ran (before, the table does
 * not say); HAS is ENXIO only where SET could not work for a reason but
 * EBUSY, EEXIST and ENOSPC. Stock KVM: ENXIO, unknown attributes.
 */
static int check_get_and_has(struct kvm_vcpu *vcpu, const struct pmu_model *m,
			     const char *sequence)
{
	uint64_t get[2], has[2], n = ~0ULL, partitioned_by_default, fixed_by_default;
	int got[4], bad = 0;

	if (!module_loaded || !m->pmu) {
		get[0] = get[1] = has[0] = has[1] = errno_bit(ENXIO);
	} else {
		partitioned_by_default = mode != MODE_PARTITIONED ? errno_bit(ENXIO) :
					 m->ran ? SUCCESS : SUCCESS | errno_bit(ENXIO);
		fixed_by_default = mode == MODE_FIXED && !m->set_pmu && !m->filter ?
				   SUCCESS : errno_bit(ENXIO);
		get[0] = m->chosen == CHOSE_PARTITIONED ? SUCCESS :
			 m->chosen == CHOSE_FIXED ? errno_bit(ENXIO) : partitioned_by_default;
		get[1] = m->chosen == CHOSE_FIXED ? SUCCESS :
			 m->chosen == CHOSE_PARTITIONED ? errno_bit(ENXIO) : fixed_by_default;
		has[0] = SUCCESS;
		has[1] = m->set_pmu || m->filter ? errno_bit(ENXIO) : SUCCESS;
	}
	got[0] = pmu_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
	got[1] = pmu_attr(vcpu, KVM_GET_DEVICE_ATTR,
			  KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY, NULL);
	got[2] = pmu_attr(vcpu, KVM_HAS_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL);
	got[3] = pmu_attr(vcpu, KVM_HAS_DEVICE_ATTR,
			  KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY, NULL);
	bad += !errno_in(got[0], get[0]) || (!got[0] && n != partition_n);
	bad += !errno_in(got[1], get[1]);
	bad += !errno_in(got[2], has[0]);
	bad += !errno_in(got[3], has[1]);
	if (bad && get_and_has_shown++ < MISMATCHES_SHOWN)
		ksft_print_msg("%s: GET 0x100 %s (N %lu), GET 0x101 %s, HAS 0x100 %s, HAS 0x101 %s; chosen %s%s%s\n",
			       sequence, errno_name(got[0]), n, errno_name(got[1]),
			       errno_name(got[2]), errno_name(got[3]), choice_names[m->chosen],
			       m->set_pmu ? ", SET_PMU" : "", m->filter ? ", FILTER" : "");
	return bad;
}

/* A vCPU at @stage and what the table knows of it. */
static void stage_vm_create(enum stage stage, struct tvm *t, struct pmu_model *m)
{
	struct ucall uc;

	*m = (struct pmu_model){};
	switch (stage) {
	case STAGE_BEFORE_VCPU_INIT:
		bare_vm_create(t, false, false, false);
		return;
	case STAGE_WITHOUT_PMUV3:
		bare_vm_create(t, true, false, true);
		return;
	case STAGE_AFTER_VCPU_INIT:
		bare_vm_create(t, true, true, true);
		m->pmu = true;
		return;
	case STAGE_AFTER_PMU_INIT:
		bare_vm_create(t, true, true, true);
		pmu_vcpu_init(t->vcpu);
		*m = (struct pmu_model){ .pmu = true, .irq = true, .created = true };
		return;
	default:
		pmu_vm_setup(t, guest_sync_forever, false);
		TEST_ASSERT(run_to_ucall(t->vcpu, &uc) == UCALL_SYNC, "first run");
		*m = (struct pmu_model){ .pmu = true, .irq = true, .created = true,
					 .ran = true };
	}
}

/* The next permutation in lexicographic order; false after the last. */
static bool next_permutation(int *order, int count)
{
	int i = count - 2, j = count - 1, swap;

	while (i >= 0 && order[i] >= order[i + 1])
		i--;
	if (i < 0)
		return false;
	while (order[j] <= order[i])
		j--;
	swap = order[i];
	order[i] = order[j];
	order[j] = swap;
	for (i++, j = count - 1; i < j; i++, j--) {
		swap = order[i];
		order[i] = order[j];
		order[j] = swap;
	}
	return true;
}

struct orders_result {
	int orders;
	int set_bad;	/* SETs not as the table says */
	int get_bad;	/* orders ending in a GET or HAS not as it says */
};

/*
 * Every order of the STEPS SETs at @stage. A vCPU after
 * KVM_ARM_VCPU_INIT gets a new VM for every order; at the other stages
 * nothing may succeed, so one VM takes every order unless something did.
 */
static struct orders_result attribute_orders_run(enum stage stage)
{
	int order[STEPS] = { 0, 1, 2, 3, 4, 5 }, shown = 0;
	bool fresh = stage == STAGE_AFTER_VCPU_INIT, have_vm = false;
	struct orders_result r = {};
	struct pmu_model m, stage_model;
	struct tvm t;

	get_and_has_shown = 0;
	do {
		bool changed = false;
		char sequence[96];

		if (!have_vm)
			stage_vm_create(stage, &t, &stage_model);
		have_vm = true;
		m = stage_model;
		snprintf(sequence, sizeof(sequence), "%s, order %s %s %s %s %s %s",
			 stage_names[stage], step_names[order[0]], step_names[order[1]],
			 step_names[order[2]], step_names[order[3]], step_names[order[4]],
			 step_names[order[5]]);
		for (int i = 0; i < STEPS; i++) {
			uint64_t allowed = expected_set(&m, order[i]);
			int err = set_step(t.vcpu, order[i]);
			char text[128];

			if (!errno_in(err, allowed)) {
				format_errnos(allowed, text, sizeof(text));
				if (shown++ < MISMATCHES_SHOWN)
					ksft_print_msg("%s: SET %s %s, expected %s\n",
						       sequence, step_names[order[i]],
						       errno_name(err), text);
				r.set_bad++;
			}
			if (!err) {
				apply_step(&m, order[i]);
				changed = true;
			}
		}
		r.get_bad += check_get_and_has(t.vcpu, &m, sequence) > 0;
		r.orders++;
		if (fresh || changed) {
			tvm_destroy(&t);
			have_vm = false;
		}
	} while (next_permutation(order, STEPS));
	if (have_vm)
		tvm_destroy(&t);
	ksft_print_msg("%s: %d orders, %d SETs not as the table says, %d orders ending in a GET or HAS not as it says\n",
		       stage_names[stage], r.orders, r.set_bad, r.get_bad);
	return r;
}

/*
 * Rule: SET of the module's two attributes, SET_PMU, FILTER, IRQ and INIT
 * in every order, at every stage of a vCPU's life, follows the table of
 * include/uapi/linux/kvm_pmu_partition.h (and KVM's own errnos for its
 * attributes; 0x100 and 0x101 are unknown to stock KVM); GET and HAS then
 * agree with what the VMM chose (check_get_and_has()).
 *
 * Host: the rig's PMUv3, every mode. Inputs: the 720 orders of the six
 * SETs (valid payloads: the rig's PMU, a CPU_CYCLES filter, PPI
 * PMU_VM_IRQ), on a vCPU at the variant's stage (stage_vm_create()).
 */
FIXTURE(attribute_orders) {
	struct orders_result r;
};

FIXTURE_VARIANT(attribute_orders) {
	enum stage stage;
};

FIXTURE_VARIANT_ADD(attribute_orders, before_vcpu_init) {
	.stage = STAGE_BEFORE_VCPU_INIT,
};

FIXTURE_VARIANT_ADD(attribute_orders, without_pmuv3) {
	.stage = STAGE_WITHOUT_PMUV3,
};

FIXTURE_VARIANT_ADD(attribute_orders, after_vcpu_init) {
	.stage = STAGE_AFTER_VCPU_INIT,
};

FIXTURE_VARIANT_ADD(attribute_orders, after_pmu_init) {
	.stage = STAGE_AFTER_PMU_INIT,
};

FIXTURE_VARIANT_ADD(attribute_orders, after_kvm_run) {
	.stage = STAGE_AFTER_KVM_RUN,
};

/* The orders make and destroy their VMs as they go. */
FIXTURE_SETUP(attribute_orders)
{
	test_begin();
	self->r = attribute_orders_run(variant->stage);
}

FIXTURE_TEARDOWN(attribute_orders)
{
	test_end(_metadata->name);
}

TEST_F_TIMEOUT(attribute_orders, attr_set_in_any_order_follows_the_table, ORDERS_TIMEOUT)
{
	EXPECT_EQ(720, self->r.orders);
	EXPECT_EQ(0, self->r.set_bad);
}

TEST_F_TIMEOUT(attribute_orders, attr_get_and_has_report_the_chosen_mode, ORDERS_TIMEOUT)
{
	EXPECT_EQ(720, self->r.orders);
	EXPECT_EQ(0, self->r.get_bad);
}

/* ----------------------------------------- VMs with and without a vPMU */

static volatile uint64_t undefined_accesses;

static void count_undefined(struct ex_regs *regs)
{
	undefined_accesses++;
	regs->pc += 4;
}

/* Each would reset, stop, refilter or hide the host's counters if real. */
static void guest_poke_pmu(void)
{
	write_sysreg(ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C, pmcr_el0);
	write_sysreg(0, pmccntr_el0);
	write_sysreg(~0UL, pmcntenclr_el0);
	write_sysreg(0, pmevcntr0_el0);
	write_sysreg(ARMV8_PMU_EXCLUDE_EL1 | ARMV8_PMU_EXCLUDE_EL0, pmccfiltr_el0);
	write_sysreg(0, pmuserenr_el0);
	write_sysreg(0, pmselr_el0);
	(void)read_sysreg(pmccntr_el0);
	(void)read_sysreg(pmcr_el0);
	(void)read_sysreg(pmevcntr0_el0);
}

static void guest_touch_pmu(void)
{
	GUEST_SYNC(0);
	for (;;) {
		for (int r = 0; r < POKE_ROUNDS; r++)
			guest_poke_pmu();
		GUEST_SYNC(undefined_accesses);
	}
}

static void guest_leave_pmu_alone(void)
{
	GUEST_SYNC(0);
	for (;;) {
		for (int r = 0; r < POKE_ROUNDS * POKES; r++)
			asm volatile("nop");
		GUEST_SYNC(undefined_accesses);
	}
}

/*
 * Rule: a VM without a vPMU (no KVM_ARM_VCPU_PMU_V3) has no PMU whatever
 * default_mode says: every PMU register access is UNDEFINED; and neither
 * it nor a VM with a vPMU touching its PMU changes the host's cycle
 * counter: a pinned CPU_CYCLES event of the VMM thread, counting its user
 * space over a loop, KVM_RUN and a read, counts the same (least of
 * REPEATS) for a VM that leaves the PMU alone, a VM without vPMU touching
 * it and a VM with one touching it, and keeps its counter all along. The
 * event exists, disabled, before the VMs (see host_perf_vms_create()).
 *
 * Host: the rig's PMUv3, every mode (the exact count SKIPs without
 * -icount). Inputs: three VMs with a vGICv3: without vPMU running nops,
 * without vPMU and with one, each writing and reading PMCR_EL0, PMCCNTR,
 * PMCNTENCLR, PMEVCNTR0, PMCCFILTR, PMUSERENR and PMSELR POKE_ROUNDS
 * times per run. Setup makes the event and the VMs and runs each once.
 */
struct vpmu_vms {
	struct tvm vms[3];
	int created, fd;
	bool guest_ok;	/* the event exists and every run got to its ucall */
};

FIXTURE(vms_with_and_without_vpmu) {
	struct vpmu_vms v;
};

static const char *const vpmu_vm_names[] = {
	"without vPMU, PMU untouched", "without vPMU, touching the PMU",
	"with vPMU, touching the PMU",
};

static void vpmu_vms_create(struct vpmu_vms *v)
{
	struct ucall uc;

	v->guest_ok = true;
	v->fd = open_host_el0_event(&host_pmu, ARMV8_PMUV3_PERFCTR_CPU_CYCLES, 0, -1, true);
	if (v->fd < 0) {
		ksft_print_msg("perf_event_open %s/cpu_cycles: %s\n", host_pmu.name,
			       strerror(errno));
		v->guest_ok = false;
	}
	tvm_add(&v->vms[0], guest_leave_pmu_alone, false);
	v->created++;
	tvm_add(&v->vms[1], guest_touch_pmu, false);
	v->created++;
	pmu_vm_setup(&v->vms[2], guest_touch_pmu, false);
	v->created++;
	for (int vm = 0; vm < 3; vm++) {
		vm_install_sync_handler(v->vms[vm].vm, VECTOR_SYNC_CURRENT, ESR_EC_UNKNOWN,
					count_undefined);
		v->guest_ok &= run_to_ucall(v->vms[vm].vcpu, &uc) == UCALL_SYNC;
	}
}

static void vpmu_vms_destroy(struct vpmu_vms *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	while (v->created)
		tvm_destroy(&v->vms[--v->created]);
}

FIXTURE_SETUP(vms_with_and_without_vpmu)
{
	test_begin();
	vpmu_vms_create(&self->v);
}

FIXTURE_TEARDOWN(vms_with_and_without_vpmu)
{
	vpmu_vms_destroy(&self->v);
	test_end(_metadata->name);
}

struct vpmu_counts {
	uint64_t least[3];	/* host CPU_CYCLES, per VM */
	int clean[3];		/* measurements whose KVM_RUN was not re-entered */
	uint64_t undefined;	/* UNDEFINED exceptions of the VM without vPMU */
	bool guest_ok;		/* and every measured run got to its ucall */
	bool running;		/* the event counted whenever it was enabled */
};

/* The event over the VMM's loop, KVM_RUN and a read, VM after VM. */
static struct vpmu_counts vpmu_measure(struct vpmu_vms *v)
{
	struct vpmu_counts m = { .least = { ~0UL, ~0UL, ~0UL }, .guest_ok = v->guest_ok,
				 .running = true };
	volatile unsigned long spin;
	int attempt, vm, entries;
	struct perf_count c;
	struct ucall uc;

	errno = 0;
	if (v->fd >= 0)
		read_event(v->fd);
	for (attempt = 0; attempt < 3 * HOST_ATTEMPTS && v->fd >= 0 && m.guest_ok &&
	     (m.clean[0] < REPEATS || m.clean[1] < REPEATS || m.clean[2] < REPEATS);
	     attempt++) {
		int rc;

		vm = attempt % 3;
		ioctl(v->fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(v->fd, PERF_EVENT_IOC_ENABLE, 0);
		for (spin = 0; spin < HOST_LOOP; spin++)
			;
		rc = run_counting_entries(v->vms[vm].vcpu, &entries);
		c = read_event(v->fd);
		ioctl(v->fd, PERF_EVENT_IOC_DISABLE, 0);
		m.guest_ok &= !rc && get_ucall(v->vms[vm].vcpu, &uc) == UCALL_SYNC;
		if (vm == 1)
			m.undefined = uc.args[1];
		m.running &= c.read_ok && c.enabled > 0 && c.running == c.enabled;
		if (entries > 1 || m.clean[vm] == REPEATS || !c.read_ok)
			continue;
		m.clean[vm]++;
		m.least[vm] = min_u64(m.least[vm], c.value);
	}
	for (vm = 0; vm < 3; vm++)
		ksft_print_msg("VM %s: least host CPU_CYCLES %lu of %d rounds\n",
			       vpmu_vm_names[vm], m.least[vm], m.clean[vm]);
	ksft_print_msg("the VM without vPMU took %lu UNDEFINED exceptions in %d runs of %d accesses\n",
		       m.undefined, m.clean[1], POKE_ROUNDS * POKES);
	return m;
}

TEST_F_TIMEOUT(vms_with_and_without_vpmu, pmu_registers_are_undefined_in_a_vm_without_vpmu,
	       TEST_TIMEOUT)
{
	struct vpmu_counts m = vpmu_measure(&self->v);

	EXPECT_TRUE(m.guest_ok);
	EXPECT_EQ(REPEATS, m.clean[1]);
	EXPECT_LE((uint64_t)REPEATS * POKE_ROUNDS * POKES, m.undefined);
	EXPECT_EQ(0, m.undefined % (POKE_ROUNDS * POKES));
}

TEST_F_TIMEOUT(vms_with_and_without_vpmu,
	       host_cycles_unchanged_by_pmu_accesses_of_vms_with_and_without_vpmu, TEST_TIMEOUT)
{
	struct vpmu_counts m;

	if (!icount)
		SKIP(return, "needs -icount");
	m = vpmu_measure(&self->v);
	EXPECT_TRUE(m.guest_ok);
	for (int vm = 0; vm < 3; vm++) {
		EXPECT_EQ(REPEATS, m.clean[vm]);
		EXPECT_EQ(m.least[0], m.least[vm]) {
			TH_LOG("VM %s", vpmu_vm_names[vm]);
		}
	}
	EXPECT_LT((uint64_t)HOST_LOOP, m.least[0]);
}

TEST_F_TIMEOUT(vms_with_and_without_vpmu,
	       host_cycle_event_kept_its_counter_beside_vms_with_and_without_vpmu, TEST_TIMEOUT)
{
	struct vpmu_counts m = vpmu_measure(&self->v);

	EXPECT_TRUE(m.guest_ok);
	EXPECT_TRUE(m.running);
}

/* ----------------------------------------------------------- the end */

static long read_refcnt(void)
{
	char buf[32];

	return read_line(MODULE_REFCNT, buf, sizeof(buf)) ? strtol(buf, NULL, 10) : -1;
}

/*
 * Rule: once every VM is gone the module holds nothing (no claim, no
 * partitioned VM, no VM, no extra module reference) and the kernel log
 * gained no WARNING, BUG, call trace or duplicate sysfs name. These tests
 * come last (the harness runs tests in the order of this file) and judge
 * what the whole run left: every test before them ran in its own process,
 * now gone with its VMs; the kernel log is read from a mark main() took
 * before the first test.
 *
 * Host: the rig's PMUv3, every mode (the module's numbers SKIP on stock
 * KVM). Inputs: none of their own.
 */
FIXTURE(end_state) {
	long claimed, partitioned, vms, refcnt;
};

FIXTURE_SETUP(end_state)
{
	test_begin();
	if (!module_loaded)
		return;
	self->claimed = read_sysfs_long("counters_claimed");
	self->partitioned = read_sysfs_long("partitioned_vms");
	self->vms = read_sysfs_long("vms");
	self->refcnt = read_refcnt();
	ksft_print_msg("at the end: counters_claimed %ld, partitioned_vms %ld, vms %ld, refcnt %ld (%ld at the start)\n",
		       self->claimed, self->partitioned, self->vms, self->refcnt, refcnt_start);
}

FIXTURE_TEARDOWN(end_state)
{
	test_end(_metadata->name);
}

TEST_F_TIMEOUT(end_state, no_claim_and_no_vm_left_after_every_vm_is_gone, TEST_TIMEOUT)
{
	if (!module_loaded)
		SKIP(return, "stock KVM: no module");
	EXPECT_EQ(0, self->claimed);
	EXPECT_EQ(0, self->partitioned);
	EXPECT_EQ(0, self->vms);
}

TEST_F_TIMEOUT(end_state, module_refcount_back_to_its_start_value, TEST_TIMEOUT)
{
	if (!module_loaded)
		SKIP(return, "stock KVM: no module");
	EXPECT_EQ(refcnt_start, self->refcnt);
	EXPECT_LE(0, self->refcnt);
}

TEST_F_TIMEOUT(end_state, kernel_log_gained_no_warning_bug_call_trace_or_duplicate_filename,
	       TEST_TIMEOUT)
{
	EXPECT_EQ(0, kmsg_warnings(run_kmsg));
}

/* Run by exit() of the process that ran the tests: the whole run's time. */
static void print_run_time(void)
{
	if (getpid() == harness_pid)
		ksft_print_msg("hostile_vmm took %.2f s\n", seconds_since(&run_start));
}

/*
 * hostile_vmm MODE [harness options]: checks the host against MODE, then
 * hands argv[0] and the options to the harness. The harness prints the
 * plan; the TAP version line is out before this process says anything.
 */
int main(int argc, char **argv)
{
	const char *seed_env = getenv("HOSTILE_VMM_SEED");
	const char *icount_env = getenv("RIG_ICOUNT");
	char value[64], path[256];

	if (argc >= 2 && (!strcmp(argv[1], "-l") || !strcmp(argv[1], "-h")))
		return rig_harness_run(argc, argv);
	for (mode = MODE_STOCK; mode <= MODE_FIXED; mode++)
		if (argc >= 2 && !strcmp(argv[1], mode_names[mode]))
			break;
	if (mode > MODE_FIXED)
		ksft_exit_fail_msg("usage: %s stock|emulated|partitioned|fixed [harness options, %s -h]\n",
				   argv[0], argv[0]);
	seed = seed_env ? strtoull(seed_env, NULL, 0) : DEFAULT_SEED;
	seed = seed ?: DEFAULT_SEED;
	icount = icount_env && !strcmp(icount_env, "1");
	harness_pid = getpid();
	clock_gettime(CLOCK_MONOTONIC, &run_start);

	ksft_print_header();
	setenv("KSFT_TAP_LEVEL", "1", 1);	/* test_harness_run(): no second one */
	if (!kvm_has_cap(KVM_CAP_ARM_PMU_V3))
		ksft_exit_skip("KVM has no PMUv3 on this host\n");
	find_host_pmu(&host_pmu);
	module_loaded = !access(SYSFS, F_OK);
	if (mode == MODE_STOCK && module_loaded)
		ksft_exit_fail_msg("stock: kvm_pmu_partition is loaded\n");
	if (mode != MODE_STOCK) {
		if (!module_loaded)
			ksft_exit_fail_msg("kvm_pmu_partition is not loaded\n");
		if (!read_line(SYSFS "/default_mode", value, sizeof(value)) ||
		    strcmp(value, mode_names[mode]))
			ksft_exit_fail_msg("the module runs default_mode=%s, not %s\n", value,
					   mode_names[mode]);
		snprintf(path, sizeof(path), "pmus/%s/guest_counters", host_pmu.name);
		partition_n = read_sysfs_long(path);
	}
	refcnt_start = read_refcnt();
	run_kmsg = kmsg_mark();
	list_pmu_registers();
	ksft_print_msg("mode %s; host PMU %s (type %d, INST_RETIRED %s); partitioned N %lu, reserved_host_counters %ld; icount %d; seed 0x%lx\n",
		       mode_names[mode], host_pmu.name, host_pmu.type,
		       host_pmu.inst_retired ? "yes" : "no", partition_n,
		       module_loaded ? read_sysfs_long("reserved_host_counters") : -1L,
		       icount, seed);
	pin_to_cpu(0);
	atexit(print_run_time);

	/* The mode was argv[1]; the harness gets argv[0] and the rest. */
	argv[1] = argv[0];
	return rig_harness_run(argc - 1, argv + 1);
}
