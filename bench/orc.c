/*
 * orc COMMAND [ARG...]: the bare open/read/close loop that bench/run counts
 * shim's cost per secret against. For every NAME_FILE=/path in its
 * environment it does what shim's reader does in the kernel, and nothing
 * else: open, read into a fixed buffer, one more read that sees end of
 * file, close. Then it execs COMMAND with the environment unchanged.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	static char buf[4096];
	if (argc < 2)
		return 125;
	for (char **e = environ; *e; e++) {
		char *eq = strchr(*e, '=');
		if (!eq || eq - *e < 5 || memcmp(eq - 5, "_FILE", 5) != 0 || !strchr(eq, '/'))
			continue;
		int fd = open(eq + 1, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 125;
		while (read(fd, buf, sizeof buf) > 0)
			;
		close(fd);
	}
	execv(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
