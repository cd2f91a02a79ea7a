/* SPDX-License-Identifier: ISC */
/* vm/net/dhcp.c against a real DHCP client (busybox udhcpc) over a tap in a namespace of its own. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper/tap.h"
#include "vm/net/dhcp.h"
#include "vmd/netif.h"

/*
 * Roles are mirrored: the kernel side of the tap is the client (udhcpc
 * binds to it), and this process, on the fd side, is the VM process
 * serving it with dhcp_input. The client's MAC is the tap's own.
 */

#define BUSYBOX_DEFAULT	"build/linux/root/bin/busybox"

static const char *
busybox(void)
{
	const char	*p = getenv("BUSYBOX");

	if (p != NULL && access(p, X_OK) == 0)
		return p;
	if (access(BUSYBOX_DEFAULT, X_OK) == 0)
		return BUSYBOX_DEFAULT;
	return NULL;
}

/* Serve the tap until the client exits or 20 s pass; the exit status. */
static int
serve(int fd, const struct dhcp_config *c, pid_t pid, int *replies)
{
	uint8_t		 in[2048], out[DHCP_FRAME_MAX];
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	time_t		 end = time(NULL) + 20;
	ssize_t		 n;
	size_t		 rlen;
	int		 status;

	while (time(NULL) < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		while ((n = read(fd, in, sizeof(in))) > 0) {
			if (dhcp_input(c, in, (size_t)n, out, sizeof(out),
			    &rlen) == DHCP_REPLY) {
				(*replies)++;
				if (write(fd, out, rlen) != (ssize_t)rlen)
					return -1;
			}
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static void
run(const char *bb, const char *dir, int fd, const struct dhcp_config *c,
    int bcast)
{
	char	 script[1024], events[1024], log[1024], line[512] = "";
	char	 found[512] = "";
	FILE	*fp;
	pid_t	 pid;
	int	 status, replies = 0, lfd;

	snprintf(script, sizeof(script), "%s/script", dir);
	snprintf(events, sizeof(events), "%s/events", dir);
	snprintf(log, sizeof(log), "%s/udhcpc.log", dir);
	unlink(events);
	if ((fp = fopen(script, "w")) == NULL)
		return;
	fprintf(fp, "#!/bin/sh\necho \"$1 ip=$ip subnet=$subnet "
	    "router=$router dns=$dns lease=$lease serverid=$serverid\" "
	    ">>%s\n", events);
	fclose(fp);
	chmod(script, 0700);

	if ((pid = fork()) == 0) {
		if ((lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
			dup2(lfd, 1);
			dup2(lfd, 2);
		}
		execl(bb, "udhcpc", "-f", "-q", "-n", "-t", "4", "-T", "1",
		    "-i", "tap0", "-s", script, bcast ? "-B" : NULL,
		    (char *)NULL);
		_exit(127);
	}
	status = serve(fd, c, pid, &replies);
	tap_ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: udhcpc got a lease (status %d, %d replies)",
	    bcast ? "broadcast" : "unicast", status, replies);
	if ((fp = fopen(events, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (strncmp(line, "bound ", 6) == 0)
				strlcpy(found, line, sizeof(found));
		fclose(fp);
	}
	printf("# %s", found[0] ? found : "no bound event\n");
	tap_ok(strstr(found, "ip=100.64.1.3 ") != NULL, "address: guest side");
	tap_ok(strstr(found, "subnet=255.255.255.254 ") != NULL, "mask /31");
	tap_ok(strstr(found, "router=100.64.1.2 ") != NULL &&
	    strstr(found, "dns=100.64.1.2 ") != NULL &&
	    strstr(found, "serverid=100.64.1.2") != NULL,
	    "router, DNS and server: host side");
	tap_ok(strstr(found, "lease=4294967295 ") != NULL, "infinite lease");
	if (found[0] == '\0' && (fp = fopen(log, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			printf("# udhcpc: %s", line);
		fclose(fp);
	}
}

int
main(void)
{
	struct dhcp_config	 c;
	char			 name[IFNAMSIZ] = "tap0";
	char			 dir[] = "/tmp/dhcp_client.XXXXXX";
	const char		*bb;
	int			 fd;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	if ((bb = busybox()) == NULL) {
		printf("1..0 # SKIP no busybox (make check-linux fetches it, "
		    "or set BUSYBOX)\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) == -1) {
		printf("1..0 # SKIP unshare(CLONE_NEWNET): %s\n",
		    strerror(errno));
		return 0;
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	fd = netif_tap_open(name, sizeof(name), 0);
	tap_ok(fd != -1 && netif_updown(name, 1) == 0, "tap0 up");
	memset(&c, 0, sizeof(c));
	tap_ok(netif_tap_lladdr(fd, c.guest_mac) == 0, "client MAC");
	dhcp_server_mac(c.guest_mac, c.server_mac);
	inet_pton(AF_INET, "100.64.1.2", &c.host);
	inet_pton(AF_INET, "100.64.1.3", &c.guest);
	c.lease = DHCP_LEASE_INFINITE;
	c.flags = DHCP_F_ARP;
	run(bb, dir, fd, &c, 0);
	run(bb, dir, fd, &c, 1);
	close(fd);
	if (getenv("KEEP_TMP") == NULL) {
		static const char *const files[] = { "script", "events",
		    "udhcpc.log" };
		char	path[128];
		size_t	i;

		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
			unlink(path);
		}
		rmdir(dir);
	}
	return tap_done();
}
