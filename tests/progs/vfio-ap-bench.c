// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-ap-bench WORKLOAD ARGS...: time what an administrator waits for, in the guest, with
 * one write(2) per sysfs write (no fork in the measurement). Every workload repeats REPS
 * times and prints one result line (config a second one, see there)
 *
 *     result REPS MEDIAN P10 P90 MIN MAX
 *
 * in microseconds (memory: bytes per mdev), then "samples[:PART] V..." with every rep's value,
 * sorted, for pooling runs (make bench's rounds). A refused write or a view that never updates
 * fails the run (exit 1) instead of being timed.
 *
 *   write REPS PATH VALUE             one write of VALUE to PATH (the floor: an attribute
 *                                     that does no work)
 *   pair REPS PATH1 VALUE1 PATH2 VALUE2
 *                                     a write to PATH1 then one to PATH2 (assign+unassign)
 *   matrix-writes REPS UUID K         a KxK matrix (adapters and domains 0..K-1) by K
 *                                     assign_adapter and K assign_domain writes, alternating
 *                                     (cleared by ap_config after each rep)
 *   matrix-config REPS UUID K         the same matrix by one ap_config write
 *   hotplug REPS UUID DOMAIN          a VM holds UUID; assign_domain DOMAIN until the VM's
 *                                     CRYCB holds it (unassigned again, untimed)
 *   config REPS ADAPTER TYPE UUID...  a VM holds each UUID; the simulator removes ADAPTER
 *                                     from the host configuration, timed from the start of
 *                                     that write (to the control file, opened once before
 *                                     the first rep) until the last VM's CRYCB lost it; added
 *                                     back (as TYPE), untimed. A second line,
 *                                     "result:driver ...", times the drivers' share: from the
 *                                     QCI that first showed the AP bus the change (the
 *                                     simulator's qci-changed-ns) to the last CRYCB update;
 *                                     a third, "result:driver-per-floor ...", that share in
 *                                     percent of the floor (the median of FLOOR_WRITES
 *                                     no-op writes timed just before the rep), which cancels
 *                                     TCG's speed at that moment
 *   memory REPS COUNT FIELD           create COUNT mdevs: per mdev, in bytes, the growth of
 *                                     /proc/meminfo's FIELD (Slab), for MemFree its
 *                                     shrinkage, for Alloc the growth of what
 *                                     /proc/allocinfo counts over all call sites but SLUB's
 *                                     (profiling is on only meanwhile; with BENCH_DIAG the
 *                                     sites that grew are printed); removed after each rep
 *
 * hotplug and config end when the last CRYCB changed, as the test kernel's view records it
 * ("changed-ns", ktime_get_ns() of the last kvm_arch_crypto_set_masks() that changed the
 * masks): polling the views only tells that they changed, not when.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "progs-lib.h"

#define MAX_REPS 10000
#define MAX_VMS 256
#define VIEW_TIMEOUT 30.0

static double samples[MAX_REPS];
/* config: the drivers' share of each rep (from the AP bus's QCI to the last CRYCB) */
static double shares[MAX_REPS];
/* config: each share in percent of the floor timed just before it */
static double per_floor[MAX_REPS];

/*
 * The floor of make bench: a write of "1" to an attribute that only stores a flag. Timed
 * FLOOR_WRITES times before each config rep: TCG's speed changes by up to 2x within a boot
 * (the floor reads 0.07 or 0.15 ms, as its halves show), and a rep's share divided by the
 * floor of the same moment compares the drivers at equal speed.
 */
#define FLOOR_PATH "/sys/bus/ap/drivers_autoprobe"
#define FLOOR_WRITES 9

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Prints "result[:PART] REPS MEDIAN P10 P90 MIN MAX" for the N values in V (sorted here). */
static void report_part(const char *part, double *v, int n)
{
	int i;

	qsort(v, n, sizeof(v[0]), cmp_double);
	printf("result%s%s %d %.1f %.1f %.1f %.1f %.1f\n", part ? ":" : "", part ? part : "", n,
	       v[n / 2], v[n / 10], v[n - 1 - n / 10], v[0], v[n - 1]);
	printf("samples%s%s", part ? ":" : "", part ? part : "");
	for (i = 0; i < n; i++)
		printf(" %.1f", v[i]);
	printf("\n");
}

static void report(int n)
{
	report_part(NULL, samples, n);
}

static void fail(const char *what, int e)
{
	fprintf(stderr, "vfio-ap-bench: %s: %s\n", what, strerror(e));
	exit(1);
}

/* Fails the run if writing VALUE to PATH gave the errno E. */
static void must_have_written(int e, const char *path, const char *value)
{
	if (e) {
		char what[512];

		snprintf(what, sizeof(what), "write '%s' to %s", value, path);
		fail(what, e);
	}
}

static void must(const char *path, const char *value)
{
	must_have_written(put(path, value), path, value);
}

/* must() on FD, already open on PATH. */
static void must_fd(int fd, const char *path, const char *value)
{
	must_have_written(put_fd(fd, value), path, value);
}

static int reps_arg(const char *s)
{
	int n = atoi(s);

	if (n < 1 || n > MAX_REPS) {
		fprintf(stderr, "vfio-ap-bench: REPS must be 1..%d\n", MAX_REPS);
		exit(2);
	}
	return n;
}

static int size_arg(const char *s)
{
	int k = atoi(s);

	if (k < 4 || k > 256 || k % 4) {
		fprintf(stderr, "vfio-ap-bench: K must be a multiple of 4 in 4..256\n");
		exit(2);
	}
	return k;
}

static int bench_write(int reps, const char *path, const char *value)
{
	int i;

	for (i = 0; i < reps; i++) {
		double t0 = now();

		must(path, value);
		samples[i] = (now() - t0) * 1e6;
	}
	report(reps);
	return 0;
}

/* The median time of FLOOR_WRITES floor writes, in microseconds. */
static double floor_now_us(void)
{
	double t[FLOOR_WRITES];
	int i;

	for (i = 0; i < FLOOR_WRITES; i++) {
		double t0 = now();

		must(FLOOR_PATH, "1");
		t[i] = (now() - t0) * 1e6;
	}
	qsort(t, FLOOR_WRITES, sizeof(t[0]), cmp_double);
	return t[FLOOR_WRITES / 2];
}

static int bench_pair(int reps, char **argv)
{
	int i;

	for (i = 0; i < reps; i++) {
		double t0 = now();

		must(argv[0], argv[1]);
		must(argv[2], argv[3]);
		samples[i] = (now() - t0) * 1e6;
	}
	report(reps);
	return 0;
}

/* ap_config text for adapters and domains 0..K-1 (K a multiple of 4), no control domains */
static const char *square_masks(int k)
{
	static char buf[256];
	char m[65];

	memset(m, '0', 64);
	memset(m, 'f', k / 4);
	m[64] = '\0';
	snprintf(buf, sizeof(buf), "0x%s,0x%s,0x%.64s\n", m, m,
		 "0000000000000000000000000000000000000000000000000000000000000000");
	return buf;
}

static const char *empty_masks(void)
{
	static char buf[256];
	const char *z = "0000000000000000000000000000000000000000000000000000000000000000";

	snprintf(buf, sizeof(buf), "0x%s,0x%s,0x%s\n", z, z, z);
	return buf;
}

static int bench_matrix(int reps, const char *uuid, int size, int by_config)
{
	char config[256], adapter[256], domain[256], id[16];
	int i, k;

	mdev_path(config, sizeof(config), uuid, "ap_config");
	mdev_path(adapter, sizeof(adapter), uuid, "assign_adapter");
	mdev_path(domain, sizeof(domain), uuid, "assign_domain");
	for (i = 0; i < reps; i++) {
		double t0 = now();

		if (by_config) {
			must(config, square_masks(size));
		} else {
			for (k = 0; k < size; k++) {
				snprintf(id, sizeof(id), "%d\n", k);
				must(adapter, id);
				must(domain, id);
			}
		}
		samples[i] = (now() - t0) * 1e6;
		must(config, empty_masks());
	}
	report(reps);
	return 0;
}

/* Whether the "NAME-ids" line of a CRYCB view lists ID (hex). */
static int crycb_has(const char *crycb, const char *name, unsigned int id)
{
	char view[4096], key[16], *p, *end;

	if (slurp(crycb, view, sizeof(view)) < 0)
		fail(crycb, errno);
	snprintf(key, sizeof(key), "\n%s-ids", name);
	p = strstr(view, key);
	if (!p)
		return 0;
	p += strlen(key);
	end = strchr(p, '\n');
	if (end)
		*end = '\0';
	while (*p == ' ') {
		unsigned long v = strtoul(p, &p, 16);

		if (v == id)
			return 1;
	}
	return 0;
}

/* Poll until every VM's CRYCB has (WANT) or lacks (!WANT) ID in NAME-ids. */
static void wait_views(struct vm *vms, int n, const char *name, unsigned int id, int want)
{
	const struct timespec pause = { .tv_nsec = 1000000 };
	double t0 = now();
	int i = 0;

	/*
	 * Each read takes kvm->lock and formats the masks: a pause between reads keeps the
	 * poll from slowing the update it waits for (the time comes from changed_ns()).
	 */
	while (i < n) {
		if (crycb_has(vms[i].crycb, name, id) == want) {
			i++;
			continue;
		}
		if (now() - t0 > VIEW_TIMEOUT) {
			fprintf(stderr, "vfio-ap-bench: VM %d's CRYCB never %s %s %x\n", i,
				want ? "got" : "lost", name, id);
			exit(1);
		}
		nanosleep(&pause, NULL);
	}
}

/* CLOCK_MONOTONIC in ns, the clock of the CRYCB view's changed-ns. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* When the VM's CRYCB masks last changed (the test kernel's ktime_get_ns()). */
static uint64_t changed_ns(const struct vm *vm)
{
	char view[4096];
	const char *p;

	if (slurp(vm->crycb, view, sizeof(view)) < 0)
		fail(vm->crycb, errno);
	p = strstr(view, "\nchanged-ns ");
	if (!p) {
		fprintf(stderr, "vfio-ap-bench: %s has no changed-ns (test kernel too old)\n",
			vm->crycb);
		exit(1);
	}
	return strtoull(p + strlen("\nchanged-ns "), NULL, 10);
}

/*
 * When the last of the N VMs' CRYCBs changed; each must have changed after T0 (the view was
 * seen updated, so an older time means a broken clock or view).
 */
static uint64_t views_updated_ns(const struct vm *vms, int n, uint64_t t0)
{
	uint64_t last = t0;
	int i;

	for (i = 0; i < n; i++) {
		uint64_t t = changed_ns(&vms[i]);

		if (t < t0) {
			fprintf(stderr, "vfio-ap-bench: VM %d's CRYCB changed before the write\n", i);
			exit(1);
		}
		if (t > last)
			last = t;
	}
	return last;
}

/* Microseconds from T0 until the last of the N VMs' CRYCBs changed. */
static double views_updated_us(const struct vm *vms, int n, uint64_t t0)
{
	return (views_updated_ns(vms, n, t0) - t0) / 1e3;
}

/*
 * When the AP bus learned of the last configuration change: the simulator's time of the
 * first QCI that answered the current masks (same clock as changed-ns).
 */
static uint64_t qci_changed_ns(void)
{
	const char *path = "/sys/kernel/debug/ap_sim/config", *key = "\nqci-changed-ns ";
	char cfg[16384];
	const char *p;

	if (slurp(path, cfg, sizeof(cfg)) < 0)
		fail(path, errno);
	p = strstr(cfg, key);
	if (!p) {
		fprintf(stderr, "vfio-ap-bench: %s has no qci-changed-ns (test kernel too old)\n",
			path);
		exit(1);
	}
	return strtoull(p + strlen(key), NULL, 10);
}

static int bench_hotplug(int reps, const char *uuid, unsigned int domain)
{
	char assign[256], unassign[256], id[16];
	struct vm vm;
	int i;

	if (vm_start(&vm, uuid))
		fail("start the VM", EIO);
	mdev_path(assign, sizeof(assign), uuid, "assign_domain");
	mdev_path(unassign, sizeof(unassign), uuid, "unassign_domain");
	snprintf(id, sizeof(id), "%u\n", domain);
	for (i = 0; i < reps; i++) {
		uint64_t t0 = now_ns();

		must(assign, id);
		wait_views(&vm, 1, "aqm", domain, 1);
		samples[i] = views_updated_us(&vm, 1, t0);
		must(unassign, id);
		wait_views(&vm, 1, "aqm", domain, 0);
	}
	vm_stop(&vm);
	report(reps);
	return 0;
}

static struct vm vms[MAX_VMS];

static int bench_config(int reps, unsigned int adapter, const char *type, int n, char **uuids)
{
	char del[64], add[64];
	int i, sim;

	if (n > MAX_VMS)
		fail("too many VMs", E2BIG);
	/*
	 * The simulator's control file stays open over all reps: its open() is the harness's,
	 * not part of a configuration change, and under TCG it took about a third of a rep at
	 * M = 1. Each write is one whole command whatever the file position.
	 */
	sim = open(SIM, O_WRONLY);
	if (sim < 0)
		fail("open " SIM, errno);
	for (i = 0; i < n; i++)
		if (vm_start(&vms[i], uuids[i]))
			fail("start a VM", EIO);
	wait_views(vms, n, "apm", adapter, 1);
	snprintf(del, sizeof(del), "del-adapter %u\n", adapter);
	snprintf(add, sizeof(add), "add-adapter %u/%s\n", adapter, type);
	for (i = 0; i < reps; i++) {
		const struct timespec settle = { .tv_sec = 1 };
		uint64_t t0, last, qci;
		int cpu_floor, cpu_rep;
		double floor_us;

		/* The AP bus is still initialising the queues the last rep added. */
		nanosleep(&settle, NULL);
		cpu_floor = sched_getcpu();
		floor_us = floor_now_us();
		t0 = now_ns();

		/*
		 * The simulator's write returns after the AP bus's rescan (which, if a scan was
		 * already running, may not yet have seen the change: wait_views then waits for the
		 * next one); when each view changed is in its timestamp. Nothing reads the views
		 * during the write: a reader takes kvm->lock, which the drivers need per guest.
		 */
		must_fd(sim, SIM, del);
		cpu_rep = sched_getcpu();
		wait_views(vms, n, "apm", adapter, 0);
		last = views_updated_ns(vms, n, t0);
		qci = qci_changed_ns();
		if (qci < t0 || qci > last) {
			fprintf(stderr, "vfio-ap-bench: the QCI that saw the change is not between "
					"the write and the last view update\n");
			exit(1);
		}
		samples[i] = (last - t0) / 1e3;
		shares[i] = (last - qci) / 1e3;
		per_floor[i] = 100 * shares[i] / floor_us;
		if (getenv("BENCH_DIAG")) {
			uint64_t first = last;
			int k;

			for (k = 0; k < n; k++)
				if (changed_ns(&vms[k]) < first)
					first = changed_ns(&vms[k]);
			fprintf(stderr,
				"diag config m %d rep %d cpu %d %d floor %.1f share %.1f "
				"qci->first %.1f first->last %.1f us\n",
				n, i, cpu_floor, cpu_rep, floor_us, shares[i], (first - qci) / 1e3,
				(last - first) / 1e3);
		}
		must_fd(sim, SIM, add);
		wait_views(vms, n, "apm", adapter, 1);
	}
	close(sim);
	for (i = 0; i < n; i++)
		vm_stop(&vms[i]);
	report(reps);
	report_part("driver", shares, reps);
	report_part("driver-per-floor", per_floor, reps);
	return 0;
}

/* A /proc/meminfo field in kB. */
static long meminfo_kb(const char *field)
{
	char buf[8192], key[64], *p;

	if (slurp("/proc/meminfo", buf, sizeof(buf)) < 0)
		fail("/proc/meminfo", errno);
	snprintf(key, sizeof(key), "\n%s:", field);
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* One /proc/allocinfo line: bytes currently allocated at a call site. */
struct alloc_site {
	long long bytes;
	char tag[160];
};

#define MAX_SITES 16384
static struct alloc_site sites_before[MAX_SITES], sites_after[MAX_SITES];

static int cmp_site(const void *a, const void *b)
{
	return strcmp(((const struct alloc_site *)a)->tag, ((const struct alloc_site *)b)->tag);
}

/*
 * Reads /proc/allocinfo ("BYTES CALLS TAG..." per call site, after a header) into SITES,
 * sorted by tag, their number into *N; returns their byte total.
 */
static long long allocinfo_read(struct alloc_site *sites, int *n)
{
	long long total = 0;
	char line[512];
	FILE *f;
	int off;

	f = fopen("/proc/allocinfo", "r");
	if (!f)
		fail("/proc/allocinfo", errno);
	*n = 0;
	while (fgets(line, sizeof(line), f)) {
		long long bytes, calls;

		if (sscanf(line, " %lld %lld %n", &bytes, &calls, &off) != 2)
			continue; /* the header */
		/*
		 * SLUB's own sites count the pages behind the slab objects (and the profiler's
		 * per-object tags): counting them too would add each object twice, plus the
		 * fill level of partly used slabs, which is what makes Slab noisy.
		 */
		if (!strncmp(line + off, "mm/slub.c:", 10))
			continue;
		if (*n == MAX_SITES)
			fail("/proc/allocinfo: too many call sites", E2BIG);
		total += bytes;
		sites[*n].bytes = bytes;
		snprintf(sites[*n].tag, sizeof(sites[*n].tag), "%s", line + off);
		sites[*n].tag[strcspn(sites[*n].tag, "\n")] = 0;
		(*n)++;
	}
	fclose(f);
	qsort(sites, *n, sizeof(sites[0]), cmp_site);
	return total;
}

/* BENCH_DIAG: the call sites that grew by at least one byte per mdev. */
static void allocinfo_diag(int nb, int na, int count)
{
	int i = 0, j = 0;

	while (j < na) {
		int c = i < nb ? strcmp(sites_before[i].tag, sites_after[j].tag) : 1;
		long long grew;

		if (c < 0) {
			i++;
			continue;
		}
		grew = sites_after[j].bytes - (c == 0 ? sites_before[i].bytes : 0);
		if (grew >= count)
			fprintf(stderr, "diag alloc %8.1f B/mdev %s\n", (double)grew / count,
				sites_after[j].tag);
		if (c == 0)
			i++;
		j++;
	}
}

/* FIELD now, in bytes: /proc/meminfo's FIELD, or for Alloc allocinfo's total (sites kept). */
static long long memory_now(const char *field, struct alloc_site *sites, int *n)
{
	if (!strcmp(field, "Alloc"))
		return allocinfo_read(sites, n);
	return meminfo_kb(field) * 1024LL;
}

/*
 * Slab, MemFree: from /proc/meminfo, page granular and blurred by other activity. Alloc:
 * exact bytes by call site, once profiling is on (allocations made before do not count,
 * and neither does their freeing).
 */
static int bench_memory(int reps, int count, const char *field)
{
	bool alloc = !strcmp(field, "Alloc");
	int sign = strcmp(field, "MemFree") ? 1 : -1;
	char uuid[64], path[256];
	int i, k, nb = 0, na = 0;

	if (alloc)
		must("/proc/sys/vm/mem_profiling", "1\n");
	else if (meminfo_kb(field) < 0)
		fail(field, ENOENT);
	for (i = 0; i < reps; i++) {
		long long before;

		/* Page cache and reclaimable slabs from earlier work would blur the delta. */
		sync();
		must("/proc/sys/vm/drop_caches", "3\n");
		before = memory_now(field, sites_before, &nb);
		for (k = 0; k < count; k++) {
			snprintf(uuid, sizeof(uuid), "be4c0000-0000-4000-8000-%012x", k);
			must(MDEV_TYPE "/create", uuid);
		}
		samples[i] = sign * (double)(memory_now(field, sites_after, &na) - before) / count;
		if (alloc && getenv("BENCH_DIAG"))
			allocinfo_diag(nb, na, count);
		for (k = 0; k < count; k++) {
			snprintf(uuid, sizeof(uuid), "be4c0000-0000-4000-8000-%012x", k);
			mdev_path(path, sizeof(path), uuid, "remove");
			must(path, "1\n");
		}
	}
	if (alloc)
		must("/proc/sys/vm/mem_profiling", "0\n");
	report(reps);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && !strcmp(argv[1], "write"))
		return bench_write(reps_arg(argv[2]), argv[3], argv[4]);
	if (argc == 7 && !strcmp(argv[1], "pair"))
		return bench_pair(reps_arg(argv[2]), argv + 3);
	if (argc == 5 && !strcmp(argv[1], "matrix-writes"))
		return bench_matrix(reps_arg(argv[2]), argv[3], size_arg(argv[4]), 0);
	if (argc == 5 && !strcmp(argv[1], "matrix-config"))
		return bench_matrix(reps_arg(argv[2]), argv[3], size_arg(argv[4]), 1);
	if (argc == 5 && !strcmp(argv[1], "hotplug"))
		return bench_hotplug(reps_arg(argv[2]), argv[3], strtoul(argv[4], NULL, 0));
	if (argc >= 6 && !strcmp(argv[1], "config"))
		return bench_config(reps_arg(argv[2]), strtoul(argv[3], NULL, 0), argv[4], argc - 5,
				    argv + 5);
	if (argc == 5 && !strcmp(argv[1], "memory"))
		return bench_memory(reps_arg(argv[2]), atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: see the comment at the top of vfio-ap-bench.c\n");
	return 2;
}
