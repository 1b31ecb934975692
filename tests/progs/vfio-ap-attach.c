// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-ap-attach [--iommufd] [--no-kvm] UUID: do what QEMU does to give a guest
 * a vfio-ap mediated device, without running the guest (the test kernel has no
 * SIE):
 *
 *   KVM_CREATE_VM, the host CPU model (every facility KVM offers, AP
 *   interruptions included), KVM_CREATE_VCPU, enable AP instruction interpretation,
 *   KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO), then open the device:
 *   - by default the legacy way: the VFIO container and the mdev's IOMMU
 *     group, VFIO_SET_IOMMU, the group added to the KVM-VFIO device, and
 *     VFIO_GROUP_GET_DEVICE_FD(UUID), which opens the device;
 *   - with --iommufd the cdev way: /dev/vfio/devices/vfioN added to the
 *     KVM-VFIO device, VFIO_DEVICE_BIND_IOMMUFD to /dev/iommu (which opens
 *     the device) and VFIO_DEVICE_ATTACH_IOMMUFD_PT to a new IOAS.
 *   --no-kvm skips associating the device with the VM, so opening must fail.
 *
 * It prints "crycb PATH" (the VM's test-only CRYCB view in debugfs) and
 * "ready" (or "open-failed ERRNO" with --no-kvm or when the open is refused),
 * then reads commands from stdin, one per line, and answers each with
 * "ok CMD" or "err CMD ERRNO":
 *
 *   close            close the device fd (the mdev is detached, the VM stays)
 *   open             open the device again
 *   cycle N          close and open N times
 *   reset            VFIO_DEVICE_RESET
 *   info             VFIO_DEVICE_GET_INFO: "info flags F regions R irqs I"
 *   irqinfo I        VFIO_DEVICE_GET_IRQ_INFO for index I: "irqinfo I flags F count C"
 *   eventfd I        a new eventfd as the trigger of irq index I (SET_IRQS)
 *   noeventfd I      release the trigger of index I (SET_IRQS with fd -1)
 *   events I         how often index I's eventfd fired since the last look: "events I N"
 *   setirqs A F I S C FD   SET_IRQS with argsz A, flags F, index I, start S, count C, fd FD
 *   ioctl N          device ioctl number N (hex) without an argument
 *   feature N        VFIO_DEVICE_FEATURE probing (GET|PROBE) feature N, e.g. 1 (migration)
 *   second UUID2     try to give a second mdev to the same VM (answers with its errno)
 *   memory           1 MiB of guest memory at guest address 0, in a KVM memory slot and
 *                    mapped for DMA at IOVA 0 (VFIO_IOMMU_MAP_DMA, or IOMMU_IOAS_MAP into
 *                    the device's IOAS with --iommufd), as QEMU maps guest RAM
 *   unmap            unmap it for DMA again
 *   run              KVM_RUN on the vCPU (fails with EOPNOTSUPP in the KVM test mode)
 *   quit             exit (so does end of input)
 *
 * Build: s390x-linux-gnu-gcc -static -O2 -I<uapi>/include vfio-ap-attach.c
 * with the uapi headers of the test kernel (the cross toolchain's are older).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/iommufd.h>
#include <linux/kvm.h>
#include <linux/vfio.h>

static const char *uuid;
static int use_iommufd, no_kvm;
static int vm_fd, vcpu_fd, kvm_vfio_fd, container_fd = -1, iommufd = -1;
static int group_fd = -1, cdev_fd = -1, dev_fd = -1;
static int trigger[2] = { -1, -1 };
static void *guest_ram;
static unsigned int ioas_id;

#define GUEST_RAM_SIZE (1UL << 20)

/* 1 MiB of guest memory at guest address 0 (s390 memory slots are 1 MiB aligned). */
static int map_memory(void)
{
	struct kvm_userspace_memory_region slot = { .memory_size = GUEST_RAM_SIZE };
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.size = GUEST_RAM_SIZE,
	};
	char *p;

	if (!guest_ram) {
		p = mmap(NULL, 2 * GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		guest_ram = (void *)(((unsigned long)p + GUEST_RAM_SIZE - 1) & ~(GUEST_RAM_SIZE - 1));
		memset(guest_ram, 0, GUEST_RAM_SIZE);
		slot.userspace_addr = (unsigned long)guest_ram;
		if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &slot))
			return -1;
	}
	if (use_iommufd) {
		struct iommu_ioas_map imap = {
			.size = sizeof(imap),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |
				 IOMMU_IOAS_MAP_READABLE,
			.ioas_id = ioas_id,
			.user_va = (unsigned long)guest_ram,
			.length = GUEST_RAM_SIZE,
		};

		return ioctl(iommufd, IOMMU_IOAS_MAP, &imap);
	}
	map.vaddr = (unsigned long)guest_ram;
	return ioctl(container_fd, VFIO_IOMMU_MAP_DMA, &map);
}

static int unmap_memory(void)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.size = GUEST_RAM_SIZE,
	};

	if (use_iommufd) {
		struct iommu_ioas_unmap iunmap = {
			.size = sizeof(iunmap),
			.ioas_id = ioas_id,
			.length = GUEST_RAM_SIZE,
		};

		return ioctl(iommufd, IOMMU_IOAS_UNMAP, &iunmap);
	}
	return ioctl(container_fd, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

/* The host CPU model, as QEMU's "-cpu host": every facility KVM offers the guest. */
static void host_cpu_model(void)
{
	struct kvm_s390_vm_cpu_machine mach;
	struct kvm_s390_vm_cpu_processor proc;
	struct kvm_device_attr attr = { .group = KVM_S390_VM_CPU_MODEL };

	attr.attr = KVM_S390_VM_CPU_MACHINE;
	attr.addr = (unsigned long)&mach;
	if (ioctl(vm_fd, KVM_GET_DEVICE_ATTR, &attr))
		return;
	attr.attr = KVM_S390_VM_CPU_PROCESSOR;
	attr.addr = (unsigned long)&proc;
	if (ioctl(vm_fd, KVM_GET_DEVICE_ATTR, &attr))
		return;
	memcpy(proc.fac_list, mach.fac_mask, sizeof(proc.fac_list));
	ioctl(vm_fd, KVM_SET_DEVICE_ATTR, &attr);
}

static void die(const char *what)
{
	printf("error %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The last path component of the symlink /sys/bus/mdev/devices/UUID/REL. */
static int sysfs_link_name(const char *id, const char *rel, char *name, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/%s", id, rel);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	p = strrchr(link, '/');
	snprintf(name, len, "%s", p ? p + 1 : link);
	return 0;
}

/* The vfio cdev name (vfioN) of an mdev: the only entry of its vfio-dev directory. */
static int cdev_name(const char *id, char *name, size_t len)
{
	char path[PATH_MAX];
	FILE *ls;
	int ok;

	snprintf(path, sizeof(path), "ls /sys/bus/mdev/devices/%s/vfio-dev", id);
	ls = popen(path, "r");
	if (!ls)
		return -1;
	ok = fgets(name, len, ls) != NULL;
	pclose(ls);
	if (!ok)
		return -1;
	name[strcspn(name, "\n")] = '\0';
	return 0;
}

static int kvm_vfio_file(int fd, unsigned long op)
{
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = op,
		.addr = (unsigned long)&fd,
	};

	return ioctl(kvm_vfio_fd, KVM_SET_DEVICE_ATTR, &attr);
}

static int kvm_vfio_add(int fd)
{
	return kvm_vfio_file(fd, KVM_DEV_VFIO_FILE_ADD);
}

/* Opens the group of mdev ID into the container; returns the group fd or -1. */
static int open_group(const char *id)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char name[PATH_MAX], path[PATH_MAX + 32];
	int fd;

	if (sysfs_link_name(id, "iommu_group", name, sizeof(name)))
		return -1;
	snprintf(path, sizeof(path), "/dev/vfio/%s", name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status))
		return -1;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EPERM;
		return -1;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &container_fd))
		return -1;
	return fd;
}

static int open_device(void)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	char name[PATH_MAX], path[PATH_MAX + 32];

	if (!use_iommufd) {
		dev_fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, uuid);
		return dev_fd < 0 ? -1 : 0;
	}
	if (cdev_name(uuid, name, sizeof(name)))
		return -1;
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	cdev_fd = open(path, O_RDWR);
	if (cdev_fd < 0)
		return -1;
	if (!no_kvm && kvm_vfio_add(cdev_fd))
		return -1;
	bind.iommufd = iommufd;
	if (ioctl(cdev_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		goto fail;
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &ioas))
		goto fail;
	attach.pt_id = ioas_id = ioas.out_ioas_id;
	if (ioctl(cdev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		goto fail;
	dev_fd = cdev_fd;
	return 0;
fail:
	{
		int e = errno;

		close(cdev_fd);
		cdev_fd = -1;
		errno = e;
	}
	return -1;
}

static int close_device(void)
{
	if (dev_fd < 0) {
		errno = EBADF;
		return -1;
	}
	/* The KVM-VFIO device holds the cdev's file: QEMU takes it out before closing. */
	if (use_iommufd && !no_kvm)
		kvm_vfio_file(dev_fd, KVM_DEV_VFIO_FILE_DEL);
	close(dev_fd);
	dev_fd = -1;
	cdev_fd = -1;
	return 0;
}

static int set_irqs(unsigned int argsz, unsigned int flags, unsigned int index,
		    unsigned int start, unsigned int count, int fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	set->argsz = argsz;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	memcpy(set->data, &fd, sizeof(int32_t));
	return ioctl(dev_fd, VFIO_DEVICE_SET_IRQS, set);
}

static int set_trigger(unsigned int index, int fd)
{
	return set_irqs(sizeof(struct vfio_irq_set) + sizeof(int32_t),
			VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			index, 0, 1, fd);
}

static int command(char *line)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	char *cmd = strtok(line, " "), *arg = strtok(NULL, " ");
	unsigned int a[5];
	int fd, n, i;
	uint64_t v;

	if (!strcmp(cmd, "close"))
		return close_device();
	if (!strcmp(cmd, "open"))
		return open_device();
	if (!strcmp(cmd, "cycle") && arg) {
		for (n = atoi(arg), i = 0; i < n; i++)
			if (close_device() || open_device())
				return -1;
		return 0;
	}
	if (!strcmp(cmd, "reset"))
		return ioctl(dev_fd, VFIO_DEVICE_RESET);
	if (!strcmp(cmd, "run"))
		return ioctl(vcpu_fd, KVM_RUN, 0);
	if (!strcmp(cmd, "memory"))
		return map_memory();
	if (!strcmp(cmd, "unmap"))
		return unmap_memory();
	if (!strcmp(cmd, "info")) {
		if (ioctl(dev_fd, VFIO_DEVICE_GET_INFO, &info))
			return -1;
		printf("info flags 0x%x regions %u irqs %u\n", info.flags,
		       info.num_regions, info.num_irqs);
		return 0;
	}
	if (!strcmp(cmd, "irqinfo") && arg) {
		irq.index = atoi(arg);
		if (ioctl(dev_fd, VFIO_DEVICE_GET_IRQ_INFO, &irq))
			return -1;
		printf("irqinfo %u flags 0x%x count %u\n", irq.index, irq.flags, irq.count);
		return 0;
	}
	if (!strcmp(cmd, "eventfd") && arg && (i = atoi(arg)) >= 0 && i < 2) {
		fd = eventfd(0, EFD_NONBLOCK);
		if (fd < 0 || set_trigger(i, fd))
			return -1;
		if (trigger[i] >= 0)
			close(trigger[i]);
		trigger[i] = fd;
		return 0;
	}
	if (!strcmp(cmd, "noeventfd") && arg)
		return set_trigger(atoi(arg), -1);
	if (!strcmp(cmd, "events") && arg && (i = atoi(arg)) >= 0 && i < 2) {
		if (trigger[i] < 0) {
			errno = EBADF;
			return -1;
		}
		v = 0;
		if (read(trigger[i], &v, sizeof(v)) < 0 && errno != EAGAIN)
			return -1;
		printf("events %d %llu\n", i, (unsigned long long)v);
		return 0;
	}
	if (!strcmp(cmd, "setirqs") && arg) {
		a[0] = strtoul(arg, NULL, 0);
		for (i = 1; i < 5; i++) {
			arg = strtok(NULL, " ");
			if (!arg) {
				errno = EINVAL;
				return -1;
			}
			a[i] = strtoul(arg, NULL, 0);
		}
		arg = strtok(NULL, " ");
		fd = arg ? atoi(arg) : -1;
		return set_irqs(a[0], a[1], a[2], a[3], a[4], fd);
	}
	if (!strcmp(cmd, "ioctl") && arg)
		return ioctl(dev_fd, strtoul(arg, NULL, 16), 0);
	if (!strcmp(cmd, "feature") && arg) {
		struct vfio_device_feature feature = {
			.argsz = sizeof(feature),
			.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET | atoi(arg),
		};

		return ioctl(dev_fd, VFIO_DEVICE_FEATURE, &feature);
	}
	if (!strcmp(cmd, "second") && arg) {
		fd = open_group(arg);
		if (fd < 0 || kvm_vfio_add(fd))
			return -1;
		n = ioctl(fd, VFIO_GROUP_GET_DEVICE_FD, arg);
		if (n < 0)
			return -1;
		close(n);
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
	char line[128];
	int kvm_fd, i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--iommufd"))
			use_iommufd = 1;
		else if (!strcmp(argv[i], "--no-kvm"))
			no_kvm = 1;
		else
			break;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: %s [--iommufd] [--no-kvm] MDEV-UUID\n", argv[0]);
		return 2;
	}
	uuid = argv[i];
	setvbuf(stdout, NULL, _IOLBF, 0);

	kvm_fd = open("/dev/kvm", O_RDWR);
	if (kvm_fd < 0)
		die("open /dev/kvm");
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM");
	host_cpu_model();
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu_fd < 0)
		die("KVM_CREATE_VCPU");
	if (ioctl(vm_fd, KVM_SET_DEVICE_ATTR, &apie))
		die("enable APIE");
	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &kvm_vfio))
		die("KVM_CREATE_DEVICE");
	kvm_vfio_fd = kvm_vfio.fd;

	if (use_iommufd) {
		iommufd = open("/dev/iommu", O_RDWR);
		if (iommufd < 0)
			die("open /dev/iommu");
	} else {
		container_fd = open("/dev/vfio/vfio", O_RDWR);
		if (container_fd < 0)
			die("open /dev/vfio/vfio");
		group_fd = open_group(uuid);
		if (group_fd < 0)
			die("open group");
		if (ioctl(container_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
			die("VFIO_SET_IOMMU");
		if (!no_kvm && kvm_vfio_add(group_fd))
			die("KVM_DEV_VFIO_FILE_ADD");
	}

	printf("crycb /sys/kernel/debug/kvm/%d-%d/crycb\n", getpid(), vm_fd);
	if (open_device())
		printf("open-failed %d\n", errno);
	else
		printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		if (!strcmp(line, "quit"))
			break;
		{
			char copy[sizeof(line)];

			snprintf(copy, sizeof(copy), "%s", line);
			if (command(copy))
				printf("err %s %d\n", line, errno);
			else
				printf("ok %s\n", line);
		}
	}
	return 0;
}
