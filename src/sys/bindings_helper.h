/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input to bindgen for src/sys/bindings_generated.rs: the C APIs this module uses that the
 * kernel's own `bindings` crate does not cover.
 */
#include <linux/device.h>
#include <linux/mdev.h>
#include <linux/vfio.h>
#include <linux/eventfd.h>
#include <asm/zcrypt.h>
#include <asm/debug.h>
#include "ap_bus.h"
#include "helpers.h"
