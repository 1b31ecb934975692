// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-ap-attach UUID: do what QEMU does to give a guest a vfio-ap mediated
 * device, without running the guest (the test kernel has no SIE):
 *
 *   KVM_CREATE_VM, KVM_CREATE_VCPU, enable AP instruction interpretation,
 *   open the VFIO container and the mdev's IOMMU group, VFIO_SET_IOMMU,
 *   KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO) and add the group to it, then
 *   VFIO_GROUP_GET_DEVICE_FD(UUID), which opens the device and so attaches
 *   the mdev to the VM.
 *
 * It prints "crycb PATH" (the VM's test-only CRYCB view in debugfs) and
 * "ready", then reads commands from stdin, one per line, and answers each
 * with "ok CMD" or "err CMD ERRNO":
 *
 *   close  close the device fd (the mdev is detached, the VM stays)
 *   open   get the device fd again
 *   reset  VFIO_DEVICE_RESET
 *   info   VFIO_DEVICE_GET_INFO, printed as "info flags F regions R irqs I"
 *   run    KVM_RUN on the vCPU (fails with EOPNOTSUPP in the KVM test mode)
 *   quit   exit (so does end of input)
 *
 * Build: s390x-linux-gnu-gcc -static -O2 -I<uapi>/include vfio-ap-attach.c
 * with the uapi headers of the test kernel (the cross toolchain's are older).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <linux/vfio.h>

static const char *uuid;
static int group_fd, dev_fd = -1, vcpu_fd;

static void die(const char *what)
{
	printf("error %s: %s\n", what, strerror(errno));
	exit(1);
}

static int group_number(const char *uuid)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("readlink iommu_group");
	link[n] = '\0';
	p = strrchr(link, '/');
	return atoi(p ? p + 1 : link);
}

static int open_device(void)
{
	dev_fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, uuid);
	return dev_fd < 0 ? -1 : 0;
}

static int command(const char *cmd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	if (!strcmp(cmd, "close")) {
		if (dev_fd < 0) {
			errno = EBADF;
			return -1;
		}
		close(dev_fd);
		dev_fd = -1;
		return 0;
	}
	if (!strcmp(cmd, "open"))
		return open_device();
	if (!strcmp(cmd, "reset"))
		return ioctl(dev_fd, VFIO_DEVICE_RESET);
	if (!strcmp(cmd, "run"))
		return ioctl(vcpu_fd, KVM_RUN, 0);
	if (!strcmp(cmd, "info")) {
		if (ioctl(dev_fd, VFIO_DEVICE_GET_INFO, &info))
			return -1;
		printf("info flags 0x%x regions %u irqs %u\n", info.flags,
		       info.num_regions, info.num_irqs);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	struct kvm_device_attr apie = {
		.group = KVM_S390_VM_CRYPTO,
		.attr = KVM_S390_VM_CRYPTO_ENABLE_APIE,
	};
	struct kvm_create_device kvm_vfio = { .type = KVM_DEV_TYPE_VFIO };
	struct kvm_device_attr add = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
	};
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int kvm_fd, vm_fd, container_fd;
	char path[64], line[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s MDEV-UUID\n", argv[0]);
		return 2;
	}
	uuid = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);

	kvm_fd = open("/dev/kvm", O_RDWR);
	if (kvm_fd < 0)
		die("open /dev/kvm");
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM");
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu_fd < 0)
		die("KVM_CREATE_VCPU");
	if (ioctl(vm_fd, KVM_SET_DEVICE_ATTR, &apie))
		die("enable APIE");

	container_fd = open("/dev/vfio/vfio", O_RDWR);
	if (container_fd < 0)
		die("open /dev/vfio/vfio");
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_number(uuid));
	group_fd = open(path, O_RDWR);
	if (group_fd < 0)
		die("open group");
	if (ioctl(group_fd, VFIO_GROUP_GET_STATUS, &status))
		die("VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EPERM;
		die("group not viable");
	}
	if (ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container_fd))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");
	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &kvm_vfio))
		die("KVM_CREATE_DEVICE");
	add.addr = (unsigned long)&group_fd;
	if (ioctl(kvm_vfio.fd, KVM_SET_DEVICE_ATTR, &add))
		die("KVM_DEV_VFIO_FILE_ADD");
	if (open_device())
		die("VFIO_GROUP_GET_DEVICE_FD");

	printf("crycb /sys/kernel/debug/kvm/%d-%d/crycb\n", getpid(), vm_fd);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		if (!strcmp(line, "quit"))
			break;
		if (command(line))
			printf("err %s %d\n", line, errno);
		else
			printf("ok %s\n", line);
	}
	return 0;
}
