// SPDX-License-Identifier: GPL-2.0
/*
 * run-as UID GID COMMAND [ARG...]: run COMMAND as an unprivileged user (no supplementary
 * groups), for permission tests in the guest, whose busybox has no su or setuidgid.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s UID GID COMMAND [ARG...]\n", argv[0]);
		return 2;
	}
	if (setgroups(0, NULL) || setgid(atoi(argv[2])) || setuid(atoi(argv[1]))) {
		perror("run-as");
		return 1;
	}
	execvp(argv[3], argv + 3);
	perror("run-as: exec");
	return 127;
}
