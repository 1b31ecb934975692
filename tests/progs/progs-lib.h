/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest programs: sysfs writes and reads without a fork, a monotonic
 * clock, and a VM of the KVM test mode held by a vfio-ap-attach child. Header only: each
 * program in tests/progs is built on its own (scripts/qemu-run.sh).
 */
#ifndef VFIO_AP_PROGS_LIB_H
#define VFIO_AP_PROGS_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#define MATRIX "/sys/devices/vfio_ap/matrix"
#define MDEV_TYPE MATRIX "/mdev_supported_types/vfio_ap-passthrough"
#define AP "/sys/bus/ap"
#define SIM "/sys/kernel/debug/ap_sim/control"

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write S in one write(2) to the open FD; returns 0 or the errno. */
static inline int put_fd(int fd, const char *s)
{
	return write(fd, s, strlen(s)) < 0 ? errno : 0;
}

/* Write S to PATH in one write(2); returns 0 or the errno. */
static inline int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), e;

	if (fd < 0)
		return errno;
	e = put_fd(fd, s);
	close(fd);
	return e;
}

static inline int putf(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int putf(const char *path, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return put(path, buf);
}

/* Read PATH into BUF (NUL-terminated); returns the length or -1. */
static inline ssize_t slurp(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return n < 0 ? -1 : got;
}

static inline void mdev_path(char *buf, size_t len, const char *uuid, const char *attr)
{
	snprintf(buf, len, MATRIX "/%.40s/%.40s", uuid, attr);
}

/* A VM of the KVM test mode that holds an mdev: a vfio-ap-attach child on two pipes. */
struct vm {
	FILE *in, *out;
	pid_t pid;
	char crycb[256]; /* the VM's CRYCB view in debugfs */
};

/* Send CMD; 0 if the child answered "ok CMD". */
static inline int vm_ask(struct vm *vm, const char *cmd)
{
	char line[256], ok[128];

	fprintf(vm->in, "%s\n", cmd);
	fflush(vm->in);
	snprintf(ok, sizeof(ok), "ok %s\n", cmd);
	while (fgets(line, sizeof(line), vm->out)) {
		if (!strcmp(line, ok))
			return 0;
		if (!strncmp(line, "err ", 4))
			return -1;
	}
	return -1;
}

/* Start a VM that opens mdev UUID; 0 once it holds the device. */
static inline int vm_start(struct vm *vm, const char *uuid)
{
	int to[2], from[2];
	char line[256];

	memset(vm, 0, sizeof(*vm));
	if (pipe(to) || pipe(from))
		return -1;
	vm->pid = fork();
	if (vm->pid < 0)
		return -1;
	if (!vm->pid) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execlp("vfio-ap-attach", "vfio-ap-attach", uuid, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	vm->in = fdopen(to[1], "w");
	vm->out = fdopen(from[0], "r");
	if (!vm->in || !vm->out)
		return -1;
	while (fgets(line, sizeof(line), vm->out)) {
		if (sscanf(line, "crycb %255s", vm->crycb) == 1)
			continue;
		if (!strcmp(line, "ready\n"))
			return 0;
		fprintf(stderr, "vfio-ap-attach %s: %s", uuid, line);
		return -1;
	}
	return -1;
}

static inline void vm_stop(struct vm *vm)
{
	if (!vm->in)
		return;
	fprintf(vm->in, "quit\n");
	fclose(vm->in);
	fclose(vm->out);
	waitpid(vm->pid, NULL, 0);
	vm->in = NULL;
}

#endif
