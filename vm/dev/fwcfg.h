/* SPDX-License-Identifier: ISC */
/* QEMU's firmware configuration interface (fw_cfg), for firmware boot. */
#ifndef VM_DEV_FWCFG_H
#define VM_DEV_FWCFG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct mem;
struct vm;

#define FWCFG_PORT		0x510	/* selector (16-bit), data at +1 */
#define FWCFG_PORT_LEN		12	/* ... and the DMA address at +4 */
#define FWCFG_NAME_MAX		56	/* file name, NUL included */
#define FWCFG_MAX_ITEMS		32
#define FWCFG_MAX_SIZE		(1U << 20)	/* one item's bytes */

/* Well-known selectors (QEMU's docs/specs/fw_cfg.rst). */
#define FWCFG_SIGNATURE		0x0000
#define FWCFG_ID		0x0001
#define FWCFG_NB_CPUS		0x0005
#define FWCFG_BOOT_MENU		0x000e
#define FWCFG_MAX_CPUS		0x000f
#define FWCFG_FILE_DIR		0x0019
#define FWCFG_FILE_FIRST	0x0020

/* DMA control bits (big endian in the guest's FWCfgDmaAccess). */
#define FWCFG_DMA_ERROR		0x01
#define FWCFG_DMA_READ		0x02
#define FWCFG_DMA_SKIP		0x04
#define FWCFG_DMA_SELECT	0x08
#define FWCFG_DMA_WRITE		0x10

struct fwcfg_item {
	uint16_t	 key;
	char		 name[FWCFG_NAME_MAX];	/* "" for a fixed selector */
	uint8_t		*data;
	uint32_t	 size;
};

/*
 * The device. Guarded by lock (its bus lock): the selected item and the
 * read offset, the latched DMA address. The items are added on the main
 * thread before vCPUs run and only read afterwards.
 */
struct fwcfg {
	const struct mem	*mem;
	pthread_mutex_t		 lock;
	struct fwcfg_item	 items[FWCFG_MAX_ITEMS];
	int			 nitems;
	uint16_t		 nextkey;
	uint16_t		 sel;
	uint32_t		 off;
	uint32_t		 dma_high;
	uint64_t		 ndma;		/* transfers done */
};

/* fwcfg_new: an empty device over guest RAM mem (signature, ID, dir). */
struct fwcfg	*fwcfg_new(const struct mem *);
void		 fwcfg_free(struct fwcfg *);
/*
 * fwcfg_add_file: a named file (copied), listed in the directory. 0, or
 * -1 with errno ENOSPC (too many), EINVAL (name or size), EEXIST.
 */
int	fwcfg_add_file(struct fwcfg *, const char *name, const void *data,
	    size_t len);
/* fwcfg_add_key: a fixed-selector item (copied). 0 or -1 as above. */
int	fwcfg_add_key(struct fwcfg *, uint16_t key, const void *data,
	    size_t len);
/* fwcfg_io: the port handler (bus_io_fn) for [FWCFG_PORT, +LEN). */
void	fwcfg_io(void *arg, uint64_t off, int is_write, uint8_t *data,
	    size_t len);
/*
 * fwcfg_dma: run the FWCfgDmaAccess at guest address gpa. Every address
 * and length is checked against guest RAM; a bad one sets the error bit
 * (or, if the access itself is outside RAM, does nothing). Lock held.
 */
void	fwcfg_dma(struct fwcfg *, uint64_t gpa);

#endif /* VM_DEV_FWCFG_H */
