/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the SMBIOS tables of vm/smbios.c: the entry point, the
 * structure walk a guest does, the memory sizes, and dmidecode's reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/bytes.h"
#include "helper/tap.h"
#include "vm/platform.h"
#include "vm/smbios.h"

#define MIB		(1ULL << 20)
#define GIB		(1ULL << 30)
#define DUMP_TABLE_OFF	0x20	/* dmidecode --dump-bin: table after anchor */

static uint8_t	tables[SMBIOS_TABLES_MAX];
static uint8_t	anchor[SMBIOS_ANCHOR_LEN];

/* What a walk of the structure table found. */
struct walk {
	int		 count;		/* structures up to the end marker */
	int		 ntype[128];
	size_t		 maxlen;	/* largest, strings included */
	int		 ended;		/* type 127 seen, last */
	int		 bad;		/* a structure ran past the table */
	int		 duphandle;
	const uint8_t	*first[128];	/* first structure of each type */
	uint64_t	 mapped;	/* bytes covered by type 19 */
	uint64_t	 devmb;		/* type 17 size */
};

static void
walk(const uint8_t *t, size_t len, struct walk *w)
{
	uint16_t	 handles[512];
	size_t		 off = 0, end;
	const uint8_t	*s;
	int		 i, nh = 0;

	memset(w, 0, sizeof(*w));
	while (off + 4 <= len && !w->ended) {
		s = t + off;
		/* The string set ends with two NULs. */
		for (end = off + s[1]; end + 1 < len &&
		    (t[end] != 0 || t[end + 1] != 0); end++)
			;
		if (s[1] < 4 || off + s[1] > len || end + 1 >= len) {
			w->bad = 1;
			return;
		}
		end += 2;
		for (i = 0; i < nh; i++)
			if (handles[i] == le16(s + 2))
				w->duphandle = 1;
		if (nh < 512)
			handles[nh++] = (uint16_t)le16(s + 2);
		w->count++;
		if (s[0] < 128) {
			if (w->first[s[0]] == NULL)
				w->first[s[0]] = s;
			w->ntype[s[0]]++;
		}
		if (end - off > w->maxlen)
			w->maxlen = end - off;
		if (s[0] == SMBIOS_T_MEMMAP)
			w->mapped += (le32(s + 4) == 0xffffffff ?
			    le64(s + 0x17) - le64(s + 0x0f) :
			    ((uint64_t)le32(s + 8) - le32(s + 4)) << 10) +
			    (le32(s + 4) == 0xffffffff ? 1 : 1024);
		if (s[0] == SMBIOS_T_MEMDEV)
			w->devmb = le16(s + 0x0c) == 0x7fff ? le32(s + 0x1c) :
			    le16(s + 0x0c);
		if (s[0] == SMBIOS_T_END)
			w->ended = (end == len);
		off = end;
	}
}

/* The string numbered n (1..) of structure s, or NULL. */
static const char *
str(const uint8_t *s, int n)
{
	const char	*p = (const char *)s + s[1];

	if (n < 1)
		return NULL;
	while (--n > 0 && *p != '\0')
		p += strlen(p) + 1;
	return *p != '\0' ? p : NULL;
}

/*
 * dmidecode: the tables as `dmidecode --dump-bin` writes them, read back
 * with --from-dump. 0 if it read every structure and complained of none.
 */
static int
dmidecode(size_t used, int count)
{
	char	 path[64], cmd[256], line[512];
	char	 want[64];
	uint8_t	 a[SMBIOS_ANCHOR_LEN];
	FILE	*f, *p;
	int	 fd, ok = 0, bad = 0;

	(void)snprintf(path, sizeof(path), "/tmp/smbios_test.%ld.dump",
	    (long)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		return -1;
	}
	/* Table at 0x20: the entry point gets that address, checksums too. */
	memcpy(a, anchor, sizeof(a));
	a[0x18] = DUMP_TABLE_OFF;
	a[0x15] = 0;
	a[0x15] = (uint8_t)-sum(a + 0x10, 0x0f);
	a[0x04] = 0;
	a[0x04] = (uint8_t)-sum(a, sizeof(a));
	(void)fwrite(a, 1, sizeof(a), f);
	(void)fputc(0, f);
	(void)fwrite(tables, 1, used, f);
	(void)fclose(f);
	(void)snprintf(cmd, sizeof(cmd), "dmidecode --from-dump %s 2>&1",
	    path);
	(void)snprintf(want, sizeof(want), "%d structures occupying %zu bytes",
	    count, used);
	if ((p = popen(cmd, "r")) == NULL) {
		unlink(path);
		return -1;
	}
	while (fgets(line, sizeof(line), p) != NULL) {
		if (strstr(line, want) != NULL)
			ok = 1;
		if (strstr(line, "OUT OF SPEC") != NULL ||
		    strstr(line, "Invalid") != NULL ||
		    strstr(line, "Wrong") != NULL ||
		    strstr(line, "truncated") != NULL ||
		    strstr(line, "Bad") != NULL) {
			printf("# dmidecode: %s", line);
			bad = 1;
		}
	}
	if (pclose(p) != 0)
		bad = 1;
	unlink(path);
	return ok && !bad ? 0 : -1;
}

static void
test_build(int ncpus, uint64_t mem, const char *nodmi)
{
	struct walk	 w;
	size_t		 used = 0;
	const uint8_t	*s;
	uint64_t	 low;

	tap_is(smbios_build(ncpus, mem, tables, sizeof(tables), &used,
	    anchor), 0, "%d vCPUs, %llu MiB: built", ncpus,
	    (unsigned long long)(mem / MIB));
	tap_ok(memcmp(anchor, "_SM_", 4) == 0 &&
	    memcmp(anchor + 0x10, "_DMI_", 5) == 0 &&
	    anchor[0x05] == SMBIOS_ANCHOR_LEN && anchor[0x06] == 2 &&
	    anchor[0x07] == 8 && anchor[0x1e] == 0x28,
	    "  entry point: _SM_, _DMI_, version 2.8");
	tap_ok(sum(anchor, SMBIOS_ANCHOR_LEN) == 0 &&
	    sum(anchor + 0x10, 0x0f) == 0, "  both checksums");
	tap_is(le16(anchor + 0x16), used, "  table length");
	walk(tables, used, &w);
	tap_ok(!w.bad && w.ended, "  structures walk to a final type 127");
	tap_ok(!w.duphandle, "  handles unique");
	tap_is(le16(anchor + 0x1c), w.count, "  structure count");
	tap_is(le16(anchor + 0x08), w.maxlen, "  largest structure");
	tap_ok(w.ntype[0] == 0, "  no type 0: the firmware adds its own");
	tap_is(w.ntype[SMBIOS_T_CPU], ncpus, "  one type 4 per vCPU");
	tap_ok(w.ntype[SMBIOS_T_SYSTEM] == 1 &&
	    w.ntype[SMBIOS_T_CHASSIS] == 1 &&
	    w.ntype[SMBIOS_T_MEMARRAY] == 1 && w.ntype[SMBIOS_T_MEMDEV] == 1 &&
	    w.ntype[SMBIOS_T_BOOT] == 1, "  types 1, 3, 16, 17, 32 once");
	s = w.first[SMBIOS_T_SYSTEM];
	tap_ok(s != NULL && str(s, s[4]) != NULL &&
	    strcmp(str(s, s[4]), "vmd") == 0, "  system manufacturer vmd");
	tap_is(w.devmb, mem / MIB, "  memory device holds all of RAM");
	tap_is(w.mapped, mem, "  type 19 ranges cover all of RAM");
	low = mem < PLAT_PCI_HOLE_START ? mem : PLAT_PCI_HOLE_START;
	tap_is(w.ntype[SMBIOS_T_MEMMAP], mem > low ? 2 : 1,
	    "  one range below the PCI hole%s",
	    mem > low ? ", one above 4 GiB" : "");
	if (nodmi != NULL)
		tap_ok(1, "  dmidecode reads them # SKIP %s", nodmi);
	else
		tap_is(dmidecode(used, w.count), 0, "  dmidecode reads them");
}

static void
test_errors(void)
{
	size_t	used;

	errno = 0;
	tap_ok(smbios_build(0, 128 * MIB, tables, sizeof(tables), &used,
	    anchor) == -1 && errno == EINVAL, "0 vCPUs: EINVAL");
	errno = 0;
	tap_ok(smbios_build(1, PLAT_MAX_MEM + GIB, tables, sizeof(tables),
	    &used, anchor) == -1 && errno == EINVAL, "too much RAM: EINVAL");
	errno = 0;
	tap_ok(smbios_build(4, 128 * MIB, tables, 100, &used, anchor) == -1 &&
	    errno == ENOSPC, "small buffer: ENOSPC");
}

int
main(void)
{
	const char	*nodmi = NULL;

	if (system("dmidecode --version >/dev/null 2>&1") != 0)
		nodmi = "dmidecode does not run (not installed?)";
	test_build(1, 128 * MIB, nodmi);
	test_build(4, 3 * GIB, nodmi);
	test_build(2, 6 * GIB, nodmi);
	test_build(PLAT_MAX_VCPUS, 40 * GIB, nodmi);
	test_build(1, PLAT_MAX_MEM, nodmi);
	test_errors();
	return tap_done();
}
