// SPDX-License-Identifier: GPL-2.0
/*
 * What a guest code path touches, the part of its cost under TCG that an instruction count
 * does not show: a window opens when a vCPU enters the translation block at start=HEX and
 * closes on that vCPU at stop=HEX or end=HEX (the report says which). Per window: translation blocks executed, distinct ones, distinct code pages, memory accesses
 * and distinct data pages, with the pages themselves (each with the address of the block,
 * or of the instruction, that touched it first). Every block and access is instrumented: the guest
 * runs several times slower. Arguments: out=FILE start=HEX stop=HEX [end=HEX] [arm=HEX [nth=N]].
 * With arm=HEX a window opens only at the first start after a pass through arm, and end
 * disarms; each pass through either writes a line ("arm", "end"): start == stop then
 * measures the first step after each arming, or with nth=N the N-th.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin-api.h"

PLUGIN_EXPORT int qemu_plugin_version = PLUGIN_API_VERSION;

#define MAX_PAGES 4096

struct page_set {
	uint64_t page[MAX_PAGES], first_pc[MAX_PAGES];
	int n;
};

/* Adds PAGE (first touched by PC) unless present; linear, as windows touch a few dozen. */
static void page_add(struct page_set *s, uint64_t page, uint64_t pc)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->page[i] == page)
			return;
	if (s->n == MAX_PAGES)
		return;
	s->page[s->n] = page;
	s->first_pc[s->n++] = pc;
}

static uint64_t start_pc, stop_pc, end_pc, arm_pc;
static int armed, nth = 1, starts;
static FILE *out;
/* The window: the vCPU it runs on (-1: none open), what it saw. One window at a time. */
static int window_vcpu = -1;
static uint64_t tbs, accesses;
static struct page_set tb_starts, code_pages, data_pages;
static unsigned int windows;

static void report_window(const char *ended_by)
{
	int i;

	fprintf(out, "window %u ended-by %s tbs %" PRIu64 " distinct-tbs %d code-pages %d",
		windows++, ended_by, tbs, tb_starts.n, code_pages.n);
	fprintf(out, " accesses %" PRIu64 " data-pages %d\n  code", accesses, data_pages.n);
	for (i = 0; i < code_pages.n; i++)
		fprintf(out, " %" PRIx64 "@%" PRIx64, code_pages.page[i] << 12,
			code_pages.first_pc[i]);
	fprintf(out, "\n  data");
	for (i = 0; i < data_pages.n; i++)
		fprintf(out, " %" PRIx64 "@%" PRIx64, data_pages.page[i] << 12,
			data_pages.first_pc[i]);
	fprintf(out, "\n");
}

static void on_block(unsigned int vcpu, void *udata)
{
	uint64_t pc = (uintptr_t)udata;

	if (arm_pc && pc == arm_pc) {
		fprintf(out, "arm\n");
		armed = 1;
		starts = 0;
	}
	if (window_vcpu >= 0 && (int)vcpu == window_vcpu && (pc == stop_pc || pc == end_pc)) {
		report_window(pc == stop_pc ? "stop" : "end");
		window_vcpu = -1;
	}
	if (arm_pc && pc == end_pc) {
		fprintf(out, "end\n");
		armed = 0;
	}
	/* start == stop measures from one visit to the next: the closing block opens anew. */
	if (window_vcpu < 0) {
		if (pc != start_pc || (arm_pc && (!armed || ++starts < nth)))
			return;
		armed = 0;
		window_vcpu = vcpu;
		tbs = accesses = 0;
		tb_starts.n = code_pages.n = data_pages.n = 0;
	}
	if ((int)vcpu != window_vcpu)
		return;
	tbs++;
	page_add(&tb_starts, pc, pc);
	page_add(&code_pages, pc >> 12, pc);
}

static void on_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
		      void *udata)
{
	if ((int)vcpu != window_vcpu)
		return;
	accesses++;
	page_add(&data_pages, vaddr >> 12, (uintptr_t)udata);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)qemu_plugin_tb_vaddr(tb));
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		qemu_plugin_register_vcpu_mem_cb(insn, on_access, PLUGIN_CB_NO_REGS, PLUGIN_MEM_RW,
						 (void *)(uintptr_t)qemu_plugin_insn_vaddr(insn));
	}
}

static void flush_out(qemu_plugin_id_t id, void *udata)
{
	fflush(out);
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
				      int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			out = fopen(argv[i] + 4, "w");
		else if (!strncmp(argv[i], "start=", 6))
			start_pc = strtoull(argv[i] + 6, NULL, 16);
		else if (!strncmp(argv[i], "stop=", 5))
			stop_pc = strtoull(argv[i] + 5, NULL, 16);
		else if (!strncmp(argv[i], "end=", 4))
			end_pc = strtoull(argv[i] + 4, NULL, 16);
		else if (!strncmp(argv[i], "arm=", 4))
			arm_pc = strtoull(argv[i] + 4, NULL, 16);
		else if (!strncmp(argv[i], "nth=", 4))
			nth = atoi(argv[i] + 4);
		else {
			fprintf(stderr, "pagecount: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (!out || !start_pc || !stop_pc || nth < 1)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, flush_out, NULL);
	return 0;
}
