/* SPDX-License-Identifier: ISC */
/*
 * The host side of the test guest's net-rx-bench, as net-rx-sender.pl
 * but with sendmmsg(2): waits for "tg-rx-ready SIZE MS" datagrams on a
 * UDP port, answers each round with SIZE-byte frames (UDP payload
 * SIZE - 42) sent as fast as it can to the port the request came from,
 * until "tg-rx-done SIZE FRAMES" or MS + 5 s; prints one line per round:
 *   net-rx-sender: size SIZE sent N frames in S s to A:P, guest counted F
 * Run it where the guest's host address lives (inside the namespace).
 * Usage: net-rx-sender [-p port] [-r rounds] [-t timeout_s] [-a addr]
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SENDER_BATCH	64		/* datagrams per sendmmsg */
#define SENDER_ROUNDS	16		/* distinct rounds remembered */
#define SENDER_MSG	2048

static double
sender_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * sender_done: a "tg-rx-done size N" waiting on s: 1 and *counted set,
 * else 0 (other datagrams are read and ignored).
 */
static int
sender_done(int s, unsigned size, char *counted, size_t clen)
{
	char		 m[SENDER_MSG];
	unsigned	 sz;
	unsigned long	 n;
	ssize_t		 r;

	while ((r = recv(s, m, sizeof(m) - 1, MSG_DONTWAIT)) >= 0) {
		m[r] = '\0';
		if (sscanf(m, "tg-rx-done %u %lu", &sz, &n) == 2 &&
		    sz == size) {
			snprintf(counted, clen, "%lu", n);
			return 1;
		}
	}
	return 0;
}

/* sender_round: blast size-byte frames at peer until done or timeout. */
static void
sender_round(int s, const struct sockaddr_in *peer, unsigned size,
    unsigned ms)
{
	static char	 buf[SENDER_MSG];
	struct mmsghdr	 mm[SENDER_BATCH];
	struct iovec	 iov;
	char		 counted[32] = "?", a[INET_ADDRSTRLEN];
	double		 t0, end;
	unsigned long	 n = 0;
	size_t		 plen;
	int		 c, i, r;

	if ((c = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (connect(c, (const struct sockaddr *)peer, sizeof(*peer)) == -1)
		err(1, "connect");
	plen = size > 60 ? size - 42 : 18;
	if (plen > sizeof(buf))
		plen = sizeof(buf);
	memset(buf, 'x', plen);
	iov.iov_base = buf;
	iov.iov_len = plen;
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < SENDER_BATCH; i++) {
		mm[i].msg_hdr.msg_iov = &iov;
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = sender_now();
	end = t0 + ms / 1000.0 + 5;
	for (;;) {
		/* Refused (ICMP) or a full queue: count what went. */
		if ((r = sendmmsg(c, mm, SENDER_BATCH, 0)) > 0)
			n += (unsigned long)r;
		if (sender_done(s, size, counted, sizeof(counted)))
			break;
		if (sender_now() > end)
			break;
	}
	printf("net-rx-sender: size %u sent %lu frames in %.3f s to %s:%u, "
	    "guest counted %s\n", size, n, sender_now() - t0,
	    inet_ntop(AF_INET, &peer->sin_addr, a, sizeof(a)),
	    ntohs(peer->sin_port), counted);
	fflush(stdout);
	close(c);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin, from;
	struct pollfd		 pfd;
	socklen_t		 flen;
	char			 m[SENDER_MSG], seen[SENDER_ROUNDS][64], key[64];
	unsigned		 port = 9999, rounds = 2, size, ms, done = 0;
	unsigned		 nseen = 0, i;
	double			 timeout = 120, t0;
	const char		*addr = "0.0.0.0";
	ssize_t			 r;
	int			 ch, s, one = 1, dup;

	while ((ch = getopt(argc, argv, "a:p:r:t:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			timeout = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: net-rx-sender [-p port] "
			    "[-r rounds] [-t timeout_s] [-a addr]\n");
			return 2;
		}
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		errx(2, "%s: not an IPv4 address", addr);
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "port %u", port);
	t0 = sender_now();
	while (done < rounds && sender_now() - t0 < timeout) {
		pfd.fd = s;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		flen = sizeof(from);
		if ((r = recvfrom(s, m, sizeof(m) - 1, 0,
		    (struct sockaddr *)&from, &flen)) <= 0)
			continue;
		m[r] = '\0';
		if (sscanf(m, "tg-rx-ready %u %u", &size, &ms) != 2 ||
		    flen != sizeof(from))
			continue;
		/* The guest repeats "ready" until frames come: once each. */
		snprintf(key, sizeof(key), "%08x:%u:%u",
		    ntohl(from.sin_addr.s_addr), ntohs(from.sin_port), size);
		for (i = 0, dup = 0; i < nseen; i++)
			dup |= strcmp(seen[i], key) == 0;
		if (dup)
			continue;
		if (nseen < SENDER_ROUNDS)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", key);
		sender_round(s, &from, size, ms);
		done++;
	}
	return 0;
}
