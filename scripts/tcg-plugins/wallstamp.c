// SPDX-License-Identifier: GPL-2.0
/*
 * Host wall-clock stamps of guest code: each time a vCPU enters a translation block that
 * starts at one of the given guest addresses (function entries), records the host's
 * CLOCK_MONOTONIC. Only those blocks are instrumented, so the guest runs at its usual speed
 * otherwise. Arguments: out=FILE, pc=HEX (up to 16). At exit, FILE gets one
 * "VCPU HOSTCPU NS PC" line per stamp, in the order taken.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin-api.h"

PLUGIN_EXPORT int qemu_plugin_version = PLUGIN_API_VERSION;

#define MAX_PCS 16
#define MAX_STAMPS (1 << 22)

struct stamp {
	uint64_t ns, pc;
	uint16_t vcpu, hostcpu;
};

static uint64_t pcs[MAX_PCS];
static int npcs;
static struct stamp *stamps;
static atomic_uint nstamps;
static char *out_path;

static void on_entry(unsigned int vcpu, void *udata)
{
	unsigned int i = atomic_fetch_add(&nstamps, 1);
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (i >= MAX_STAMPS)
		return;
	stamps[i].ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	stamps[i].pc = pcs[(uintptr_t)udata];
	stamps[i].vcpu = vcpu;
	stamps[i].hostcpu = sched_getcpu();
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t pc = qemu_plugin_tb_vaddr(tb);
	int i;

	for (i = 0; i < npcs; i++)
		if (pcs[i] == pc)
			qemu_plugin_register_vcpu_tb_exec_cb(tb, on_entry, PLUGIN_CB_NO_REGS,
							     (void *)(uintptr_t)i);
}

static void write_stamps(qemu_plugin_id_t id, void *udata)
{
	unsigned int n = atomic_load(&nstamps), i;
	FILE *f = fopen(out_path, "w");

	if (!f) {
		perror(out_path);
		return;
	}
	if (n > MAX_STAMPS) {
		fprintf(stderr, "wallstamp: %u stamps, kept the first %u\n", n, MAX_STAMPS);
		n = MAX_STAMPS;
	}
	for (i = 0; i < n; i++)
		fprintf(f, "%u %u %" PRIu64 " %" PRIx64 "\n", stamps[i].vcpu, stamps[i].hostcpu,
			stamps[i].ns, stamps[i].pc);
	fclose(f);
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
				      int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			out_path = strdup(argv[i] + 4);
		else if (!strncmp(argv[i], "pc=", 3) && npcs < MAX_PCS)
			pcs[npcs++] = strtoull(argv[i] + 3, NULL, 16);
		else {
			fprintf(stderr, "wallstamp: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	stamps = calloc(MAX_STAMPS, sizeof(*stamps));
	if (!out_path || !npcs || !stamps)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, write_stamps, NULL);
	return 0;
}
