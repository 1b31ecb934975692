// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-ap-stress [options] VM_UUID EDIT_UUID1 EDIT_UUID2 SPARE_UUID: concurrent writers
 * against the vfio_ap driver, with the ownership rules checked while they run.
 *
 * Writers (one thread each, all at once):
 *   edit x2     assign/unassign adapters 1-3, domains 5-8, control domains 4 and 9 on
 *               VM_UUID, EDIT_UUID1, EDIT_UUID2
 *   ap_config   whole-matrix writes to EDIT_UUID1 or EDIT_UUID2
 *   mdev        create SPARE_UUID with an adapter and a domain, or remove it
 *   masks       apmask/aqmask +/- of the same IDs, then probe the unbound AP devices
 *   bind        unbind/bind a queue from/to vfio_ap
 *   config      the simulator removes or adds adapter 3 (a host configuration change)
 *   vm          a vfio-ap-attach child (a VM of the KVM test mode holding VM_UUID)
 *               closes and opens the device
 *
 * Each operation runs under a shared lock; every --check-ms the checker takes it exclusively,
 * so it sees the driver between operations, and asserts:
 *   - no APQN in two mdevs' matrix
 *   - every APQN of a guest_matrix is in that mdev's matrix
 *   - no APQN of a guest_matrix reserved for the host (its adapter in apmask and its domain
 *     in aqmask both clear means reserved for vfio_ap; both set means the host's)
 *   - while the VM holds the device: its CRYCB's adapters and domains are exactly those of
 *     VM_UUID's guest_matrix, and none of its queues is bound to a driver other than vfio_ap
 *
 * Stops at --seconds S (default 60) or --ops N (default unlimited) operations, whichever
 * first, and prints per-writer counts and "stress: OPS operations, CHECKS checks, V
 * violations". Each violation prints a line starting with "violation:". Exit 1 on any.
 * The random choices come from a xorshift64* per writer seeded from --seed (printed).
 *
 * Build: s390x-linux-gnu-gcc -static -O2 -pthread vfio-ap-stress.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "progs-lib.h"

static const char *vm_uuid, *edit_uuid[2], *spare_uuid;
static uint64_t seed = 0x5eed57e55ULL;
static long max_ops = -1;
static double max_seconds = 60;
static unsigned int check_ms = 250;

static pthread_rwlock_t quiet;
static atomic_long total_ops;
static atomic_int stop;
static int violations;

/* ---- small helpers ---------------------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rnext(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static unsigned int below(struct rng *r, unsigned int n)
{
	return rnext(r) % n;
}

static int mdev_put(const char *uuid, const char *attr, unsigned int id)
{
	char path[256];

	mdev_path(path, sizeof(path), uuid, attr);
	return putf(path, "%u\n", id);
}

/* The driver an AP device (card or queue) is bound to, or "" if none. */
static void driver_of(const char *dev, char *name, size_t len)
{
	char path[128], link[256], *slash;
	ssize_t n;

	snprintf(path, sizeof(path), AP "/devices/%s/driver", dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		*name = '\0';
		return;
	}
	link[n] = '\0';
	slash = strrchr(link, '/');
	snprintf(name, len, "%.*s", (int)len - 1, slash ? slash + 1 : link);
}

/*
 * Probe every AP device without a driver: the AP bus does not do it itself when apmask or
 * aqmask change (see Documentation/ap-sim.rst).
 */
static void reprobe(void)
{
	char name[64];
	struct dirent *e;
	DIR *d = opendir(AP "/devices");

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		driver_of(e->d_name, name, sizeof(name));
		if (!*name)
			put(AP "/drivers_probe", e->d_name);
	}
	closedir(d);
}

/* ---- the VM: a vfio-ap-attach child ----------------------------------------------- */

static struct vm vm;
static int vm_open; /* the VM holds the device: changed only under the shared lock */

/* ---- the writers ------------------------------------------------------------------ */

static const unsigned int adapters[] = { 1, 2, 3 }, domains[] = { 5, 6, 7, 8 }, cdoms[] = { 4, 9 };
#define PICK(r, a) ((a)[below(r, sizeof(a) / sizeof((a)[0]))])

static int op_edit(struct rng *r)
{
	static const char *const attrs[] = {
		"assign_adapter", "unassign_adapter", "assign_domain",
		"unassign_domain", "assign_control_domain", "unassign_control_domain",
	};
	const char *uuid[] = { vm_uuid, edit_uuid[0], edit_uuid[1] };
	unsigned int k = below(r, 6);
	unsigned int id = k < 2 ? PICK(r, adapters) : k < 4 ? PICK(r, domains) : PICK(r, cdoms);

	return mdev_put(PICK(r, uuid), attrs[k], id);
}

/* Masks in the ap_config format: 0x + 64 digits per mask, ',' between them. */
static int op_ap_config(struct rng *r)
{
	static const char *const apm[] = { "40", "20", "10", "60", "30", "00" };
	static const char *const aqm[] = { "04", "02", "01", "06", "03", "00" };
	static const char *const adm[] = { "08", "00", "40" };
	static const char zeros[] = "00000000000000000000000000000000000000000000000000000000000000";
	char path[256], buf[256];

	mdev_path(path, sizeof(path), edit_uuid[below(r, 2)], "ap_config");
	snprintf(buf, sizeof(buf), "0x%s%s,0x%s%s,0x%s%s\n", PICK(r, apm), zeros, PICK(r, aqm),
		 zeros, PICK(r, adm), zeros);
	return put(path, buf);
}

static int op_mdev(struct rng *r)
{
	char path[256];
	int e;

	mdev_path(path, sizeof(path), spare_uuid, "remove");
	if (!access(path, F_OK))
		return put(path, "1\n");
	e = put(MDEV_TYPE "/create", spare_uuid);
	if (!e)
		e = mdev_put(spare_uuid, "assign_adapter", PICK(r, adapters));
	if (!e)
		e = mdev_put(spare_uuid, "assign_domain", PICK(r, domains));
	return e;
}

static int op_masks(struct rng *r)
{
	int e;

	if (below(r, 2))
		e = putf(AP "/apmask", "%c%u\n", below(r, 2) ? '+' : '-', PICK(r, adapters));
	else
		e = putf(AP "/aqmask", "%c%u\n", below(r, 2) ? '+' : '-', PICK(r, domains));
	reprobe();
	return e;
}

static int op_bind(struct rng *r)
{
	char q[16], name[64];

	snprintf(q, sizeof(q), "%02x.%04x", PICK(r, adapters), PICK(r, domains));
	driver_of(q, name, sizeof(name));
	if (!strcmp(name, "vfio_ap"))
		return put(AP "/drivers/vfio_ap/unbind", q);
	return put(AP "/drivers/vfio_ap/bind", q);
}

static int op_config(struct rng *r)
{
	(void)r;
	if (!access(AP "/devices/card03", F_OK))
		return put(SIM, "del-adapter 3\n");
	return put(SIM, "add-adapter 3/cex6p\n");
}

static int op_vm(struct rng *r)
{
	(void)r;
	if (vm_open) {
		if (vm_ask(&vm, "close"))
			return EIO;
		vm_open = 0;
		return 0;
	}
	if (vm_ask(&vm, "open"))
		return EIO; /* refused (e.g. the mdev is being changed): still closed */
	vm_open = 1;
	return 0;
}

struct writer {
	const char *name;
	int (*op)(struct rng *r);
	pthread_t thread;
	struct rng rng;
	long ops, refused;
};

static struct writer writers[] = {
	{ "edit", op_edit },	 { "edit", op_edit },	{ "ap_config", op_ap_config },
	{ "mdev", op_mdev },	 { "masks", op_masks }, { "bind", op_bind },
	{ "config", op_config }, { "vm", op_vm },
};
#define NR_WRITERS (sizeof(writers) / sizeof(writers[0]))

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	while (!atomic_load(&stop)) {
		if (max_ops >= 0 && atomic_fetch_add(&total_ops, 1) >= max_ops) {
			atomic_fetch_sub(&total_ops, 1);
			break;
		}
		if (max_ops < 0)
			atomic_fetch_add(&total_ops, 1);
		pthread_rwlock_rdlock(&quiet);
		if (w->op(&w->rng))
			w->refused++;
		pthread_rwlock_unlock(&quiet);
		w->ops++;
	}
	return NULL;
}

/* ---- the checker ------------------------------------------------------------------ */

#define NR_APQN 65536
#define MAX_MDEVS 16

struct apqn_set {
	uint8_t has[NR_APQN];
	uint8_t adapter[256], domain[256];
};

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void violation(const char *fmt, ...)
{
	va_list ap;

	violations++;
	printf("violation: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Parse a matrix/guest_matrix listing ("aa.dddd" lines) into S; 0 or -1 if unreadable. */
static int read_apqns(const char *path, struct apqn_set *s)
{
	static char buf[1 << 20];
	unsigned int a, d;
	char *line, *save;

	memset(s, 0, sizeof(*s));
	if (slurp(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "aa.dddd", or "aa." / ".dddd" when only adapters or only domains are there */
		if (strlen(line) == 7 && sscanf(line, "%2x.%4x", &a, &d) == 2 && a < 256 && d < 256) {
			s->has[a << 8 | d] = 1;
			s->adapter[a] = s->domain[d] = 1;
		} else if (strlen(line) == 3 && sscanf(line, "%2x.", &a) == 1 && a < 256) {
			s->adapter[a] = 1;
		} else if (strlen(line) == 5 && sscanf(line, ".%4x", &d) == 1 && d < 256) {
			s->domain[d] = 1;
		}
	}
	return 0;
}

/* Bit ID (MSB first) of a 0x + 64-digit mask such as apmask. */
static int mask_bit(const char *mask, unsigned int id)
{
	char c = mask[2 + id / 4];
	unsigned int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

	return (v >> (3 - id % 4)) & 1;
}

/* IDs in the CRYCB view's "NAME-ids" line into IDS[256]; -1 if not found. */
static int crycb_ids(const char *view, const char *name, uint8_t *ids)
{
	char key[16];
	const char *p;
	unsigned int id;
	int n;

	memset(ids, 0, 256);
	snprintf(key, sizeof(key), "\n%s-ids", name);
	p = strstr(view, key);
	if (!p)
		return -1;
	p += strlen(key);
	while (*p == ' ' && sscanf(p, " %x%n", &id, &n) == 1) {
		if (id < 256)
			ids[id] = 1;
		p += n;
	}
	return 0;
}

static struct apqn_set matrices[MAX_MDEVS], guest;

static void check(void)
{
	static uint16_t owners[NR_APQN];
	char names[MAX_MDEVS][64], path[512], apmask[128], aqmask[128], view[4096], drv[64];
	uint8_t apm[256], aqm[256];
	unsigned int n = 0, i, q, a, d;
	struct dirent *e;
	DIR *dir;

	dir = opendir(MATRIX);
	if (!dir) {
		violation("cannot list %s", MATRIX);
		return;
	}
	while ((e = readdir(dir)) && n < MAX_MDEVS) {
		if (strlen(e->d_name) != 36)
			continue;
		snprintf(names[n], sizeof(names[n]), "%s", e->d_name);
		mdev_path(path, sizeof(path), e->d_name, "matrix");
		if (read_apqns(path, &matrices[n]) == 0)
			n++;
	}
	closedir(dir);
	if (slurp(AP "/apmask", apmask, sizeof(apmask)) < 66 ||
	    slurp(AP "/aqmask", aqmask, sizeof(aqmask)) < 66) {
		violation("cannot read apmask/aqmask");
		return;
	}

	memset(owners, 0, sizeof(owners));
	for (i = 0; i < n; i++) {
		for (q = 0; q < NR_APQN; q++) {
			if (!matrices[i].has[q])
				continue;
			if (owners[q])
				violation("%02x.%04x is in the matrix of %s and of %s", q >> 8, q & 0xff,
					  names[owners[q] - 1], names[i]);
			owners[q] = i + 1;
		}
		mdev_path(path, sizeof(path), names[i], "guest_matrix");
		if (read_apqns(path, &guest))
			continue;
		for (q = 0; q < NR_APQN; q++) {
			if (!guest.has[q])
				continue;
			if (!matrices[i].has[q])
				violation("%02x.%04x is in the guest_matrix of %s but not in its matrix",
					  q >> 8, q & 0xff, names[i]);
			if (mask_bit(apmask, q >> 8) && mask_bit(aqmask, q & 0xff))
				violation("%02x.%04x is reserved for the host and in the guest_matrix of %s",
					  q >> 8, q & 0xff, names[i]);
		}
		if (strcmp(names[i], vm_uuid) || !vm_open)
			continue;
		if (slurp(vm.crycb, view, sizeof(view)) < 0 || crycb_ids(view, "apm", apm) ||
		    crycb_ids(view, "aqm", aqm)) {
			violation("cannot read the VM's CRYCB view %s", vm.crycb);
			continue;
		}
		for (a = 0; a < 256; a++)
			if (apm[a] != guest.adapter[a])
				violation("adapter %02x: in the CRYCB %d, in the guest_matrix %d", a,
					  apm[a], guest.adapter[a]);
		for (d = 0; d < 256; d++)
			if (aqm[d] != guest.domain[d])
				violation("domain %04x: in the CRYCB %d, in the guest_matrix %d", d,
					  aqm[d], guest.domain[d]);
		for (a = 0; a < 256; a++) {
			for (d = 0; d < 256 && apm[a]; d++) {
				char qname[16];

				if (!aqm[d])
					continue;
				snprintf(qname, sizeof(qname), "%02x.%04x", a, d);
				driver_of(qname, drv, sizeof(drv));
				if (*drv && strcmp(drv, "vfio_ap"))
					violation("%s is in the CRYCB and bound to %s", qname, drv);
			}
		}
	}
}

/* ---- main ------------------------------------------------------------------------- */

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--seconds S] [--ops N] [--seed X] [--check-ms M] VM_UUID EDIT_UUID1 "
		"EDIT_UUID2 SPARE_UUID\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	pthread_rwlockattr_t attr;
	long checks = 0, refused = 0;
	double t0, t;
	unsigned int i;
	int arg;

	for (arg = 1; arg < argc - 1 && !strncmp(argv[arg], "--", 2); arg += 2) {
		if (!strcmp(argv[arg], "--seconds"))
			max_seconds = strtod(argv[arg + 1], NULL);
		else if (!strcmp(argv[arg], "--ops"))
			max_ops = strtol(argv[arg + 1], NULL, 0);
		else if (!strcmp(argv[arg], "--seed"))
			seed = strtoull(argv[arg + 1], NULL, 0);
		else if (!strcmp(argv[arg], "--check-ms"))
			check_ms = strtoul(argv[arg + 1], NULL, 0);
		else
			usage(argv[0]);
	}
	if (argc - arg != 4)
		usage(argv[0]);
	vm_uuid = argv[arg];
	edit_uuid[0] = argv[arg + 1];
	edit_uuid[1] = argv[arg + 2];
	spare_uuid = argv[arg + 3];
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	printf("stress: seed 0x%llx, %u writers, limit %.0f s or %ld operations\n",
	       (unsigned long long)seed, (unsigned int)NR_WRITERS, max_seconds, max_ops);

	if (vm_start(&vm, vm_uuid)) {
		fprintf(stderr, "stress: cannot start the VM helper for %s\n", vm_uuid);
		return 2;
	}
	vm_open = 1;
	/* Writer preference, so the checker gets its turn while the writers keep coming. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&quiet, &attr);

	t0 = now();
	for (i = 0; i < NR_WRITERS; i++) {
		writers[i].rng.s = seed + 0x9e3779b97f4a7c15ULL * (i + 1);
		if (pthread_create(&writers[i].thread, NULL, writer_main, &writers[i])) {
			fprintf(stderr, "stress: pthread_create failed\n");
			return 2;
		}
	}
	for (;;) {
		usleep(check_ms * 1000);
		pthread_rwlock_wrlock(&quiet);
		check();
		checks++;
		pthread_rwlock_unlock(&quiet);
		t = now() - t0;
		if (t >= max_seconds || (max_ops >= 0 && atomic_load(&total_ops) >= max_ops))
			break;
	}
	atomic_store(&stop, 1);
	for (i = 0; i < NR_WRITERS; i++)
		pthread_join(writers[i].thread, NULL);
	t = now() - t0;
	check();
	checks++;
	for (i = 0; i < NR_WRITERS; i++) {
		printf("stress: writer %u (%s): %ld operations, %ld refused\n", i, writers[i].name,
		       writers[i].ops, writers[i].refused);
		refused += writers[i].refused;
	}
	printf("stress: vm %s at the end\n", vm_open ? "open" : "closed");
	printf("stress: %ld operations (%ld refused) in %.1f s (%.0f/s), %ld checks, %d violations\n",
	       atomic_load(&total_ops), refused, t, atomic_load(&total_ops) / t, checks, violations);
	vm_stop(&vm);
	return violations ? 1 : 0;
}
