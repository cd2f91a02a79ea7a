/* SPDX-License-Identifier: ISC */
/* Message framing between processes: header, bounded payload, one fd. */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

static int	imsg_sendflags(int, uint32_t, uint32_t, const void *, size_t,
		    int, int);
static int	imsg_recvflags(int, struct imsg *, int);

int
imsg_send(int sock, uint32_t type, uint32_t peerid, const void *data,
    size_t len, int fd)
{
	return imsg_sendflags(sock, type, peerid, data, len, fd, 0);
}

int
imsg_trysend(int sock, uint32_t type, uint32_t peerid, const void *data,
    size_t len, int fd)
{
	return imsg_sendflags(sock, type, peerid, data, len, fd, MSG_DONTWAIT);
}

int
imsg_recv(int sock, struct imsg *im)
{
	return imsg_recvflags(sock, im, 0);
}

int
imsg_tryrecv(int sock, struct imsg *im)
{
	return imsg_recvflags(sock, im, MSG_DONTWAIT);
}

static int
imsg_sendflags(int sock, uint32_t type, uint32_t peerid, const void *data,
    size_t len, int fd, int flags)
{
	struct imsg_hdr	 hdr;
	struct msghdr	 msg;
	struct iovec	 iov[2];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cmsg;
	ssize_t		 n;

	if (len > IMSG_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)len;
	hdr.peerid = peerid;
	hdr.pid = (uint32_t)getpid();
	hdr.flags = fd >= 0 ? IMSG_F_HASFD : 0;
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = len ? 2 : 1;
	if (fd >= 0) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | flags);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != sizeof(hdr) + len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int
imsg_recvflags(int sock, struct imsg *im, int flags)
{
	struct msghdr	 msg;
	struct iovec	 iov[2];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
	} cmsgbuf;
	struct cmsghdr	*cmsg;
	ssize_t		 n;
	int		 fds[4], nfds = 0, i;

	im->fd = -1;
	iov[0].iov_base = &im->hdr;
	iov[0].iov_len = sizeof(im->hdr);
	iov[1].iov_base = im->data;
	iov[1].iov_len = sizeof(im->data);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; (size_t)(i + 1) * sizeof(int) <=
		    cmsg->cmsg_len - CMSG_LEN(0) && nfds < 4; i++)
			memcpy(&fds[nfds++], CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
	}
	if (n == 0 && nfds == 0)
		return 0;
	if ((size_t)n < sizeof(im->hdr) || (msg.msg_flags & MSG_TRUNC) ||
	    im->hdr.len != (size_t)n - sizeof(im->hdr) ||
	    nfds > 1 || (nfds == 1) != !!(im->hdr.flags & IMSG_F_HASFD))
		goto bad;
	if (nfds == 1)
		im->fd = fds[0];
	return 1;
 bad:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	errno = EBADMSG;
	return -1;
}
