// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line wrappers for static inline functions and macros used from Rust.
 * See helpers.h; bindgen generates their Rust declarations.
 */
#include <asm/ap.h>

#include "helpers.h"

bool vfio_ap_rs_ap_instructions_available(void)
{
	return ap_instructions_available();
}

int vfio_ap_rs_ap_qci(struct ap_config_info *info)
{
	return ap_qci(info);
}

u32 vfio_ap_rs_ap_zapq(u32 qid)
{
	return ap_zapq(qid, 0).value;
}

u32 vfio_ap_rs_ap_tapq(u32 qid)
{
	return ap_tapq(qid, NULL).value;
}
