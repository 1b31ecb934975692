// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs-fuzz SEED COUNT MDEV_DIR: write COUNT generated inputs to every writable attribute
 * of an mdev (assign/unassign of adapters, domains and control domains, and ap_config) and
 * check that every refused write left the mdev exactly as it was: matrix, guest_matrix,
 * control_domains and ap_config are read before and after each write and compared.
 *
 * Inputs: valid and out-of-range IDs in decimal, octal and hex, numbers past 64 bits, signs,
 * blanks and newlines around and inside, partial prefixes ("0x", "x", "0X"), embedded NULs,
 * random bytes, overlong strings, and for ap_config masks of every length from 0 to 70
 * digits with one to four separators of either kind. The generator is a xorshift64* seeded
 * with SEED, so a run is reproduced by its seed.
 *
 * Prints one line per attribute, "ATTR: N accepted, N refused", then "violations N"; a
 * violation prints the attribute, the input index and the input as hex. Exit 1 on any.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned int below(unsigned int n)
{
	return n ? next() % n : 0;
}

static const char *dir;

static size_t slurp(const char *name, char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return n;
}

#define STATE_LEN (4 * 4096)

static void snapshot(char *out)
{
	static const char *const readable[] = { "matrix", "guest_matrix", "control_domains",
						"ap_config" };
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		off += slurp(readable[i], out + off, 4096);
		out[off++] = '|';
	}
	out[off] = '\0';
}

static size_t append(char *buf, size_t off, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (off + n >= cap)
		n = cap - off - 1;
	memcpy(buf + off, s, n);
	return off + n;
}

/* A number in one of many spellings, some of them invalid. */
static size_t gen_number(char *buf, size_t cap)
{
	static const char *const odd[] = {
		"", "0x", "x", "0X", "+", "-", "-1", "+5", "0x1F", "1f", "08", "010", "0777",
		"18446744073709551615", "18446744073709551616", "99999999999999999999999",
		"4294967296", "256", "255", " 3", "3 ", "3\n\n", "\t4", "0x0x5", "5\r",
	};
	char tmp[64];
	size_t off = 0;
	uint64_t v;

	switch (below(6)) {
	case 0:
		return append(buf, 0, cap, odd[below(sizeof(odd) / sizeof(odd[0]))]);
	case 1:
		v = below(300);
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
		break;
	case 2:
		v = below(300);
		snprintf(tmp, sizeof(tmp), "0x%llx", (unsigned long long)v);
		break;
	case 3:
		v = below(300);
		snprintf(tmp, sizeof(tmp), "0%llo", (unsigned long long)v);
		break;
	case 4:
		v = next();
		snprintf(tmp, sizeof(tmp), below(2) ? "%llu" : "0x%llx", (unsigned long long)v);
		break;
	default:
		/* random bytes, NULs included */
		for (v = below(24); v; v--)
			tmp[off++] = next();
		memcpy(buf, tmp, off);
		return off;
	}
	off = append(buf, 0, cap, tmp);
	if (below(3) == 0 && off < cap - 1)
		buf[off++] = '\n';
	if (below(10) == 0 && off < cap - 2) {
		buf[off++] = '\0';
		buf[off++] = '7';
	}
	return off;
}

/* An ap_config value: masks of any length, separators of any kind and count. */
static size_t gen_ap_config(char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdefABCDEFgx ";
	unsigned int masks = 1 + below(4), m, d, digits;
	size_t off = 0;

	if (below(20) == 0) {
		/* overlong */
		for (d = 0; d < 300 + below(3000) && off < cap - 1; d++)
			buf[off++] = hex[below(16)];
		return off;
	}
	for (m = 0; m < masks; m++) {
		if (m)
			buf[off++] = below(4) ? ',' : '\n';
		switch (below(4)) {
		case 0:
			break;
		case 1:
			buf[off++] = 'x';
			break;
		case 2:
			buf[off++] = '0';
			buf[off++] = below(8) ? 'x' : 'X';
			break;
		default:
			buf[off++] = '0';
			buf[off++] = 'x';
		}
		digits = below(8) ? 64 : below(71);
		for (d = 0; d < digits && off < cap - 8; d++)
			buf[off++] = below(40) ? hex[below(4) ? 0 : below(16)] : hex[below(25)];
	}
	if (below(2))
		buf[off++] = '\n';
	return off;
}

int main(int argc, char **argv)
{
	static const char *const attrs[] = { "assign_adapter", "unassign_adapter", "assign_domain",
					     "unassign_domain", "assign_control_domain",
					     "unassign_control_domain", "ap_config" };
	static char before[STATE_LEN], after[STATE_LEN], input[4096];
	unsigned long count, i, violations = 0;
	unsigned int a;

	if (argc != 4) {
		fprintf(stderr, "usage: %s SEED COUNT MDEV_DIR\n", argv[0]);
		return 2;
	}
	rng = strtoull(argv[1], NULL, 0) | 1;
	count = strtoul(argv[2], NULL, 0);
	dir = argv[3];
	printf("seed %s\n", argv[1]);
	for (a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
		unsigned long accepted = 0, refused = 0;
		char path[512];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, attrs[a]);
		fd = open(path, O_WRONLY);
		if (fd < 0) {
			printf("%s: cannot open: %s\n", attrs[a], strerror(errno));
			violations++;
			continue;
		}
		snapshot(before);
		/* count inputs that reach sysfs: empty ones are generated but never written */
		for (i = 0; accepted + refused < count; i++) {
			size_t len = a == 6 ? gen_ap_config(input, sizeof(input)) :
					      gen_number(input, sizeof(input));
			ssize_t n;

			if (!len)
				continue; /* sysfs never sees empty writes */
			lseek(fd, 0, SEEK_SET);
			n = write(fd, input, len);
			if (n >= 0) {
				accepted++;
				snapshot(before);
				continue;
			}
			refused++;
			snapshot(after);
			if (strcmp(before, after)) {
				size_t k;

				violations++;
				printf("violation: %s input %lu refused (%s) but changed the mdev: ",
				       attrs[a], i, strerror(errno));
				for (k = 0; k < len && k < 80; k++)
					printf("%02x", (unsigned char)input[k]);
				printf("\n");
				memcpy(before, after, sizeof(before));
			}
		}
		close(fd);
		printf("%s: %lu accepted, %lu refused\n", attrs[a], accepted, refused);
	}
	printf("violations %lu\n", violations);
	return violations ? 1 : 0;
}
