/* SPDX-License-Identifier: ISC */
/*
 * Disk images: one ops table (raw.c, qcow2.c) behind one interface, used
 * by the VM process (virtio-blk), vmd's parent (format detection, backing
 * chains) and vmctl create. A disk is a chain of layers, the top first;
 * each layer reads what it does not hold from the next one.
 */
#ifndef LIB_DISK_DISK_H
#define LIB_DISK_DISK_H

#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

#define DISK_CHAIN_MAX	16	/* layers of one disk, the top included */
#define DISK_WHY_MAX	192	/* a message for the user, with its NUL */
#define DISK_SECTOR	512

/* How an image is read; the values travel in vmd's messages. */
enum disk_format {
	DISK_FMT_AUTO = 0,	/* the qcow2 magic decides, else raw */
	DISK_FMT_RAW = 1,
	DISK_FMT_QCOW2 = 2,
	DISK_FMT_RAW_FORCE = 3,	/* raw, even with the qcow2 magic */
	DISK_FMT_MAX
};

/* disk_zero flags */
#define DISK_ZERO_UNMAP	0x1	/* may deallocate (discard, or zeroes) */
#define DISK_ZERO_MAY	0x2	/* discard: zeros not required after */

struct disk;

/*
 * One image format. Each call serves byte ranges inside the disk's size
 * (disk.c checks them); 0, or -1 with errno. open reads and checks the image
 * (why says what is wrong); close frees everything but the fd.
 */
struct disk_ops {
	const char	*name;
	int		(*open)(struct disk *, char *why);
	int		(*read)(struct disk *, const struct iovec *, int,
			    uint64_t off);
	int		(*write)(struct disk *, const struct iovec *, int,
			    uint64_t off);
	int		(*flush)(struct disk *);
	int		(*zero)(struct disk *, uint64_t off, uint64_t len,
			    int flags);
	void		(*close)(struct disk *);
	/* Where [off, off + len) is in the file, if in one piece: 1 or 0. */
	int		(*map)(struct disk *, uint64_t off, uint64_t len,
			    int write, uint64_t *host);
};

/* One layer. The fields are the formats'; users call the functions. */
struct disk {
	const struct disk_ops	*ops;
	int			 fd;
	int			 readonly;
	int			 direct;	/* fd has O_DIRECT */
	uint64_t		 size;		/* bytes the guest sees */
	size_t			 blksize;	/* smallest I/O unit, bytes */
	uint64_t		 filesize;	/* bytes in the file at open */
	uint64_t		 limit;		/* no write at or past this */
	struct disk		*backing;	/* next layer, or NULL */
	void			*priv;
};

/*
 * disk_format_parse: the format a user names: "raw", "qcow2" or
 * "force-raw" (raw even with the qcow2 magic); -1 if none of them.
 * disk_format_prefix: the format a "raw:", "qcow2:" or "force-raw:"
 * prefix of *path names (stepping *path over it), else DISK_FMT_AUTO.
 */
int	disk_format_parse(const char *);
int	disk_format_prefix(const char **path);

/*
 * disk_detect: the format to read fd with when the user asked for
 * asked: an explicit raw or qcow2 wins; auto looks for the qcow2 magic.
 * An explicit raw on a file with the qcow2 magic is refused (reading a
 * qcow2 image as raw exposes and destroys it) unless asked is
 * DISK_FMT_RAW_FORCE. 0, or -1 with why set.
 */
int	disk_detect(int fd, int asked, int *format, char *why);

/*
 * disk_open: the disk whose layers are fds[0] (top) to fds[n - 1], read
 * with formats[i], each layer locked (the top exclusively unless
 * readonly, bases shared). The disk owns the fds from then on, also on
 * failure. limit bounds the host offsets of writes to the top (see
 * disk_limit); 0 means disk_limit's. NULL with why set on failure.
 */
struct disk	*disk_open(const int *fds, const int *formats, int n,
		    int readonly, uint64_t limit, char *why);
int	disk_read(struct disk *, const struct iovec *, int, uint64_t off);
int	disk_write(struct disk *, const struct iovec *, int, uint64_t off);
int	disk_flush(struct disk *);
int	disk_zero(struct disk *, uint64_t off, uint64_t len, int flags);
/*
 * disk_map: 1 if [off, off + len) is one run of bytes of the top layer's
 * file, at *host, that a read (or with write, a write) may use as it is
 * (asynchronous I/O does); 0 if not (unallocated, compressed, split, not
 * aligned for O_DIRECT); -1 with errno.
 */
int	disk_map(struct disk *, uint64_t off, uint64_t len, int write,
	    uint64_t *host);
/* disk_close: close every layer, writing back what the format keeps. */
void	disk_close(struct disk *);

/*
 * disk_limit: how far writes to an image of format with filesize bytes
 * and size guest bytes may reach: the file itself for raw, room for
 * every cluster and its metadata for qcow2.
 */
uint64_t disk_limit(int format, uint64_t filesize, uint64_t size);

/* The size and helpers the formats share (disk.c). */
int	disk_pread_full(int fd, void *, size_t, uint64_t off);
int	disk_pwrite_full(int fd, const void *, size_t, uint64_t off);
int	disk_preadv_full(int fd, const struct iovec *, int, uint64_t off);
int	disk_pwritev_full(int fd, const struct iovec *, int, uint64_t off);
uint64_t disk_iov_len(const struct iovec *, int);
/* disk_iov_*: len bytes between buf and iov from byte skip of iov. */
void	disk_iov_to_buf(const struct iovec *, int, size_t skip, void *,
	    size_t len);
void	disk_iov_from_buf(const struct iovec *, int, size_t skip,
	    const void *, size_t len);
/* disk_iov_slice: iov's bytes [skip, skip + len) as out[], its count. */
int	disk_iov_slice(const struct iovec *, int, size_t skip, size_t len,
	    struct iovec *out, int max);
void	disk_why(char *why, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * qcow2_probe: what a chain needs from a qcow2 image's header, checked:
 * its guest size and its backing file's name ("" if none) and format
 * (DISK_FMT_AUTO when the image does not say). 0, or -1 with why set.
 */
int	qcow2_probe(int fd, uint64_t *size, char *backing, size_t len,
	    int *backing_format, char *why);
/*
 * qcow2_create: write a new, empty qcow2 image of size guest bytes into
 * the empty file fd (version 3, 64 KiB clusters), over backing (NULL if
 * none) of format backing_format, as vmctl create makes them. 0, or -1
 * with why set.
 */
int	qcow2_create(int fd, uint64_t size, const char *backing,
	    int backing_format, char *why);

extern const struct disk_ops	disk_raw_ops;
extern const struct disk_ops	disk_qcow2_ops;

#endif /* LIB_DISK_DISK_H */
