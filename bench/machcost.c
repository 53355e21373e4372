/*
 * machcost: what a page fault and a system call cost on this machine, so
 * that bench/run's counts can be read as time here. The same count of faults
 * costs several times more on one machine (a VM with nested paging, a host
 * with page-table isolation) than on another; that is why BENCHMARKS.md
 * leads with counts.
 *
 * Prints, each the median of 7 rounds:
 *   fault_ns    one minor fault on fresh anonymous memory (first touch of a
 *               4 KiB page, zeroing included), 16 MiB at a time
 *   syscall_ns  one getppid(2) round trip
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	enum { rounds = 7, pages = 4096, calls = 200000 };
	double f[rounds], s[rounds];
	long pg = sysconf(_SC_PAGESIZE);
	for (int r = 0; r < rounds; r++) {
		char *m = mmap(NULL, (size_t)pages * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return 1;
		madvise(m, (size_t)pages * pg, MADV_NOHUGEPAGE);
		double t0 = now();
		for (long i = 0; i < pages; i++)
			m[i * pg] = 1;
		f[r] = (now() - t0) / pages;
		munmap(m, (size_t)pages * pg);
		t0 = now();
		for (int i = 0; i < calls; i++)
			syscall(SYS_getppid);
		s[r] = (now() - t0) / calls;
	}
	qsort(f, rounds, sizeof *f, cmp);
	qsort(s, rounds, sizeof *s, cmp);
	printf("fault_ns\t%.0f\nsyscall_ns\t%.0f\n", f[rounds / 2], s[rounds / 2]);
	return 0;
}
