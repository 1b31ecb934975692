/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Out-of-line wrappers for static inline functions and macros that Rust cannot call
 * directly. Each one only forwards; the logic stays in Rust.
 */
#ifndef VFIO_AP_RS_HELPERS_H
#define VFIO_AP_RS_HELPERS_H

#include <linux/types.h>

/* asm/ap.h: probes the AP facility with TAPQ (static inline with an exception fixup). */
bool vfio_ap_rs_ap_instructions_available(void);

struct ap_config_info;

/* asm/ap.h: Query AP Configuration Information; 0 or -EOPNOTSUPP. */
int vfio_ap_rs_ap_qci(struct ap_config_info *info);

/* asm/ap.h: ZAPQ (reset and zeroize, F bit 0) and TAPQ; the queue status word. */
u32 vfio_ap_rs_ap_zapq(u32 qid);
u32 vfio_ap_rs_ap_tapq(u32 qid);

struct debug_info;

/*
 * asm/debug.h: record an s390dbf sprintf event (a macro over a variadic function). The
 * format must live as long as the area; the arguments are longs, unused ones are ignored.
 */
void vfio_ap_rs_dbf_event(struct debug_info *id, int level, const char *fmt,
			  const long args[9]);

#endif
