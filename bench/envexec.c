/*
 * envexec ENVFILE COMMAND [ARG...]
 *
 * Runs COMMAND (an absolute path, no PATH search) with exactly the
 * environment listed in ENVFILE, one NAME=value per line, by execve(2) in
 * place. It is the launcher of every row in bench/run: hyperfine cannot give
 * each command of one invocation its own environment, and env(1) is a
 * dynamically linked program whose start would be a larger, noisier constant.
 * Built static, it costs one small execve plus one open/read/close, the same
 * in every row, so it cancels out of "row minus floor".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: envexec ENVFILE COMMAND [ARG...]\n");
		return 125;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 125;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	while (buf && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf) {
		perror("malloc");
		return 125;
	}
	buf[n] = '\n';
	size_t lines = 0;
	for (size_t i = 0; i <= n; i++)
		lines += buf[i] == '\n';
	char **envp = calloc(lines + 1, sizeof *envp);
	size_t k = 0;
	for (char *p = buf, *end = buf + n; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p) + 1);
		*nl = '\0';
		if (*p)
			envp[k++] = p;
		p = nl + 1;
	}
	envp[k] = NULL;
	execve(argv[2], argv + 2, envp);
	fprintf(stderr, "envexec: %s: %s\n", argv[2], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
