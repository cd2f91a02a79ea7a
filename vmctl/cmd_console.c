/* SPDX-License-Identifier: ISC */
/* vmctl console: the VM's serial console on this terminal; ~. leaves. */
#include <sys/file.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "proto.h"
#include "vmctl.h"

/*
 * Copy between the terminal and the pty until ~., the end of our input
 * (as cu does) or the VM's side ends; the caller restores the terminal.
 */
static void
console_loop(int tty)
{
	struct pollfd	pfd[2];
	char		buf[4096], out[4096 + 1];
	ssize_t		n, i;
	size_t		o;
	int		bol = 1, tilde = 0;

	pfd[0].fd = STDIN_FILENO;
	pfd[0].events = POLLIN;
	pfd[1].fd = tty;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			warn("poll");
			return;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = read(tty, buf, sizeof(buf))) <= 0)
				return;
			if (write(STDOUT_FILENO, buf, (size_t)n) != n)
				return;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = read(STDIN_FILENO, buf, sizeof(buf))) <= 0)
				return;
			for (i = 0, o = 0; i < n; i++) {
				if (tilde) {
					tilde = 0;
					if (buf[i] == '.')
						return;
					if (buf[i] != '~')
						out[o++] = '~';
				} else if (bol && buf[i] == '~') {
					tilde = 1;
					continue;
				}
				out[o++] = buf[i];
				bol = buf[i] == '\r' || buf[i] == '\n';
			}
			if (o > 0 && write(tty, out, o) != (ssize_t)o)
				return;
		}
	}
}

int
cmd_console_tty(const char *path)
{
	struct termios	 saved, raw;
	int		 tty, isterm;

	if (path[0] == '\0')
		errx(1, "vm has no console");
	if ((tty = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		err(1, "%s", path);
	/*
	 * One console per VM: a second would steal half of what the guest
	 * prints. vmd never locks the pty, so only another vmctl holds it.
	 */
	if (flock(tty, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			errx(1, "console %s is in use: another vmctl console "
			    "is attached", path);
		err(1, "flock %s", path);
	}
	isterm = tcgetattr(STDIN_FILENO, &saved) == 0;
	if (isterm) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSADRAIN, &raw);
	}
	fprintf(stderr, "Connected to %s (speed 115200); ~. to leave.\r\n",
	    path);
	console_loop(tty);
	if (isterm)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	fprintf(stderr, "\r\n[EOT]\n");
	close(tty);
	return 0;
}

int
cmd_console(const struct vmctl_opts *opts, int argc, char *argv[])
{
	struct proto_vminfo	*vms;
	struct proto_vmref	 ref;
	char			 tty[PROTO_TTY_MAX];
	int			 ch;

	while ((ch = getopt(argc, argv, "")) != -1)
		cmd_usage(cmd_find("console", &ch));
	if (optind != argc - 1)
		cmd_usage(cmd_find("console", &ch));
	cmd_ctl_vmref(argv[optind], &ref);
	if (cmd_status_list(opts, &ref, 0, &vms) != 1)
		errx(1, "vm not found");
	if (vms[0].pid <= 0 || vms[0].tty[0] == '\0')
		errx(1, "console not available: vm is not running");
	strlcpy(tty, vms[0].tty, sizeof(tty));
	free(vms);
	return cmd_console_tty(tty);
}
