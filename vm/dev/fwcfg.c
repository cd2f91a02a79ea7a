/* SPDX-License-Identifier: ISC */
/* QEMU's firmware configuration interface (fw_cfg), for firmware boot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vm/boot.h"
#include "vm/devices.h"
#include "vm/mem.h"
#include "vm/platform.h"
#include "vm/smbios.h"
#include "vm/vm.h"
#include "vm/dev/fwcfg.h"

#define FWCFG_ID_TRAD		0x01	/* the selector and data ports */
#define FWCFG_ID_DMA		0x02	/* the DMA interface */
#define FWCFG_DMA_SIG		"QEMU CFG"
#define FWCFG_DIR_ENTRY		64	/* size, select, reserved, name */
#define FWCFG_E820_MAX		16
/* SeaBIOS waits this long after "No bootable device", then resets. */
#define FWCFG_BOOT_FAIL_MS	5000

static void
fwcfg_put16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
fwcfg_put32be(uint8_t *p, uint32_t v)
{
	fwcfg_put16be(p, (uint16_t)(v >> 16));
	fwcfg_put16be(p + 2, (uint16_t)v);
}

static uint32_t
fwcfg_get32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static struct fwcfg_item *
fwcfg_find(struct fwcfg *fw, uint16_t key)
{
	int	i;

	for (i = 0; i < fw->nitems; i++)
		if (fw->items[i].key == key)
			return &fw->items[i];
	return NULL;
}

/* fwcfg_set: add or replace item key (data copied). 0 or -1. */
static int
fwcfg_set(struct fwcfg *fw, uint16_t key, const char *name, const void *data,
    size_t len)
{
	struct fwcfg_item	*it;
	uint8_t			*p = NULL;

	if (len > FWCFG_MAX_SIZE) {
		errno = EINVAL;
		return -1;
	}
	if ((it = fwcfg_find(fw, key)) == NULL) {
		if (fw->nitems == FWCFG_MAX_ITEMS) {
			errno = ENOSPC;
			return -1;
		}
		it = &fw->items[fw->nitems++];
		memset(it, 0, sizeof(*it));
		it->key = key;
		strlcpy(it->name, name, sizeof(it->name));
	}
	if (len > 0 && (p = malloc(len)) == NULL)
		return -1;
	if (len > 0)
		memcpy(p, data, len);
	free(it->data);
	it->data = p;
	it->size = (uint32_t)len;
	return 0;
}

/* fwcfg_dir: rebuild the file directory (count, then 64-byte entries). */
static int
fwcfg_dir(struct fwcfg *fw)
{
	uint8_t		 buf[4 + FWCFG_MAX_ITEMS * FWCFG_DIR_ENTRY];
	uint8_t		*e;
	uint32_t	 n = 0;
	int		 i;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < fw->nitems; i++) {
		if (fw->items[i].name[0] == '\0')
			continue;
		e = buf + 4 + n++ * FWCFG_DIR_ENTRY;
		fwcfg_put32be(e, fw->items[i].size);
		fwcfg_put16be(e + 4, fw->items[i].key);
		memcpy(e + 8, fw->items[i].name, FWCFG_NAME_MAX);
	}
	fwcfg_put32be(buf, n);
	return fwcfg_set(fw, FWCFG_FILE_DIR, "", buf, 4 + n * FWCFG_DIR_ENTRY);
}

int
fwcfg_add_key(struct fwcfg *fw, uint16_t key, const void *data, size_t len)
{
	if (key >= FWCFG_FILE_FIRST) {
		errno = EINVAL;
		return -1;
	}
	return fwcfg_set(fw, key, "", data, len);
}

int
fwcfg_add_file(struct fwcfg *fw, const char *name, const void *data,
    size_t len)
{
	int	i;

	if (name[0] == '\0' || strlen(name) >= FWCFG_NAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < fw->nitems; i++)
		if (strcmp(fw->items[i].name, name) == 0) {
			errno = EEXIST;
			return -1;
		}
	/* One slot stays free for the directory. */
	if (fw->nitems >= FWCFG_MAX_ITEMS - 1) {
		errno = ENOSPC;
		return -1;
	}
	if (fwcfg_set(fw, fw->nextkey, name, data, len) == -1)
		return -1;
	fw->nextkey++;
	return fwcfg_dir(fw);
}

struct fwcfg *
fwcfg_new(const struct mem *mem)
{
	struct fwcfg	*fw;
	uint32_t	 id = FWCFG_ID_TRAD | FWCFG_ID_DMA;
	uint8_t		 idle[4];

	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		return NULL;
	fw->mem = mem;
	fw->nextkey = FWCFG_FILE_FIRST;
	pthread_mutex_init(&fw->lock, NULL);
	idle[0] = (uint8_t)id;
	idle[1] = idle[2] = idle[3] = 0;
	if (fwcfg_set(fw, FWCFG_SIGNATURE, "", "QEMU", 4) == -1 ||
	    fwcfg_set(fw, FWCFG_ID, "", idle, 4) == -1 || fwcfg_dir(fw) == -1) {
		fwcfg_free(fw);
		return NULL;
	}
	return fw;
}

void
fwcfg_free(struct fwcfg *fw)
{
	int	i;

	if (fw == NULL)
		return;
	for (i = 0; i < fw->nitems; i++)
		free(fw->items[i].data);
	pthread_mutex_destroy(&fw->lock);
	free(fw);
}

/* fwcfg_read: len bytes of the selected item from the offset (0 past it). */
static void
fwcfg_read(struct fwcfg *fw, uint8_t *dst, uint32_t len)
{
	struct fwcfg_item	*it = fwcfg_find(fw, fw->sel);
	uint32_t		 n = 0;

	if (it != NULL && fw->off < it->size) {
		n = it->size - fw->off < len ? it->size - fw->off : len;
		memcpy(dst, it->data + fw->off, n);
	}
	memset(dst + n, 0, len - n);
	fw->off = len > UINT32_MAX - fw->off ? UINT32_MAX : fw->off + len;
}

void
fwcfg_dma(struct fwcfg *fw, uint64_t gpa)
{
	uint8_t		*acc, *dst;
	uint32_t	 ctl, len, err = 0;
	uint64_t	 addr;
	int		 i;

	/* FWCfgDmaAccess: control, length (be32), address (be64). */
	if ((acc = mem_gpa2hva(fw->mem, gpa, 16)) == NULL)
		return;
	fw->ndma++;
	ctl = fwcfg_get32be(acc);
	len = fwcfg_get32be(acc + 4);
	addr = (uint64_t)fwcfg_get32be(acc + 8) << 32 |
	    fwcfg_get32be(acc + 12);
	if (ctl & FWCFG_DMA_SELECT) {
		fw->sel = (uint16_t)(ctl >> 16);
		fw->off = 0;
	}
	if (ctl & FWCFG_DMA_WRITE)
		err = 1;		/* nothing here is writable */
	else if (ctl & FWCFG_DMA_READ) {
		if (len > 0 && (dst = mem_gpa2hva(fw->mem, addr, len)) == NULL)
			err = 1;
		else if (len > 0)
			fwcfg_read(fw, dst, len);
	} else if (ctl & FWCFG_DMA_SKIP)
		fw->off = len > UINT32_MAX - fw->off ? UINT32_MAX :
		    fw->off + len;
	/* Done: the control word becomes 0, or the error bit. */
	for (i = 0; i < 4; i++)
		acc[i] = 0;
	acc[3] = err ? FWCFG_DMA_ERROR : 0;
}

void
fwcfg_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct fwcfg	*fw = arg;
	uint32_t	 v = 0;
	size_t		 i;

	if (off == 0 && is_write) {
		/* The selector: a 16-bit write (a byte write selects too). */
		fw->sel = (uint16_t)(data[0] | (len > 1 ? data[1] << 8 : 0));
		fw->off = 0;
		return;
	}
	if (off == 1 && !is_write) {
		fwcfg_read(fw, data, (uint32_t)len);
		return;
	}
	if (off < 4 || off + len > FWCFG_PORT_LEN)
		return;		/* reads as zero, writes are dropped */
	if (!is_write) {
		/* The DMA address register reads as its signature. */
		for (i = 0; i < len; i++)
			data[i] = (uint8_t)FWCFG_DMA_SIG[off - 4 + i];
		return;
	}
	/* Big-endian halves: the high one is latched, the low one starts. */
	if (len != 4 || (off != 4 && off != 8))
		return;
	for (i = 0; i < 4; i++)
		v = v << 8 | data[i];
	if (off == 4) {
		fw->dma_high = v;
		return;
	}
	fwcfg_dma(fw, (uint64_t)fw->dma_high << 32 | v);
	fw->dma_high = 0;
}

/* fwcfg_bootorder: the boot devices' OpenFirmware paths, first choice first. */
static int
fwcfg_bootorder(struct vm *vm, struct fwcfg *fw)
{
	char		 buf[256];
	size_t		 n = 0;
	int		 order[3], i, k, slot;

	/* Default: the disk, then the CD-ROM (vmd's order), then the NIC. */
	order[0] = VM_BOOTDEV_DISK;
	order[1] = VM_BOOTDEV_CDROM;
	order[2] = VM_BOOTDEV_NET;
	for (i = 0; i < 3; i++)
		if (order[i] == vm->params.bootdev && i > 0) {
			k = order[i];
			memmove(order + 1, order, (size_t)i * sizeof(*order));
			order[0] = k;
		}
	buf[0] = '\0';
	for (i = 0; i < 3; i++) {
		if ((slot = vm->bootslot[order[i]]) <= 0)
			continue;
		switch (order[i]) {
		case VM_BOOTDEV_DISK:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "/pci@i0cf8/disk@%x\n", slot);
			break;
		case VM_BOOTDEV_CDROM:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "/pci@i0cf8/scsi@%x/channel@0/disk@0,0\n", slot);
			break;
		default:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "/pci@i0cf8/ethernet@%x\n", slot);
			break;
		}
		if (n >= sizeof(buf)) {
			errno = ENOSPC;
			return -1;
		}
	}
	return fwcfg_add_file(fw, "bootorder", buf, n + 1);
}

int
fwcfg_init(struct vm *vm)
{
	struct fwcfg	*fw;
	uint8_t		 e820[FWCFG_E820_MAX * 20], b[4];
	uint16_t	 ncpus = (uint16_t)vm->params.ncpus;
	int		 n;

	/* Only firmware reads it: a kernel booted directly gets its own. */
	if (vm->boot.kind != BOOT_KIND_FIRMWARE)
		return 0;
	if ((fw = fwcfg_new(&vm->mem)) == NULL)
		return -1;
	n = boot_e820(vm->mem.size, e820, FWCFG_E820_MAX);
	b[0] = (uint8_t)ncpus;
	b[1] = (uint8_t)(ncpus >> 8);
	if (fwcfg_add_key(fw, FWCFG_NB_CPUS, b, 2) == -1 ||
	    fwcfg_add_key(fw, FWCFG_MAX_CPUS, b, 2) == -1 ||
	    fwcfg_add_key(fw, FWCFG_BOOT_MENU, "\0", 2) == -1 ||
	    fwcfg_add_file(fw, "etc/e820", e820, (size_t)n * 20) == -1)
		goto fail;
	/* No VGA: SeaBIOS's console and int 10h go to COM1. */
	b[0] = PLAT_COM1_PORT & 0xff;
	b[1] = PLAT_COM1_PORT >> 8;
	if (fwcfg_add_file(fw, "etc/sercon-port", b, 2) == -1)
		goto fail;
	b[0] = FWCFG_BOOT_FAIL_MS & 0xff;
	b[1] = (FWCFG_BOOT_FAIL_MS >> 8) & 0xff;
	b[2] = b[3] = 0;
	if (fwcfg_add_file(fw, "etc/boot-fail-wait", b, 4) == -1 ||
	    fwcfg_bootorder(vm, fw) == -1 || acpi_fwcfg(vm, fw) == -1 ||
	    smbios_fwcfg(vm, fw) == -1)
		goto fail;
	if (bus_register(&vm->pio, "fw_cfg", FWCFG_PORT, FWCFG_PORT_LEN,
	    fwcfg_io, fw, &fw->lock) == -1)
		goto fail;
	return 0;
 fail:
	log_warn("%s", __func__);
	fwcfg_free(fw);
	return -1;
}
