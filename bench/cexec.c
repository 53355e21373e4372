/*
 * cexec COMMAND [ARG...]: the smallest entrypoint there is, the floor of the
 * "peer" rows of bench/run: a static C program that only calls execv(2).
 * Whatever an entrypoint costs above this row is its own work and its
 * runtime's start.
 */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 125;
	execv(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
