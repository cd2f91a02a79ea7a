/* SPDX-License-Identifier: ISC */
/* Unit tests for the ACPI tables: layout, checksums, iasl and acpiexec. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper/bytes.h"
#include "helper/fakevm.h"
#include "helper/tap.h"
#include "vm/acpi.h"
#include "vm/devices.h"
#include "vm/platform.h"

#define TEST_MEM	(64ULL << 20)

/* The ACPI window of one build, as the guest sees it. */
struct win {
	const uint8_t	*p;
	int		 ncpus;
};

/* table: the table at gpa if it lies inside the window, else NULL. */
static const uint8_t *
table(const struct win *w, uint64_t gpa, const char *sig)
{
	const uint8_t	*t;
	uint64_t	 off;

	if (gpa < PLAT_ACPI_START ||
	    gpa + ACPI_HDR_LEN > PLAT_ACPI_START + PLAT_ACPI_SIZE)
		return NULL;
	off = gpa - PLAT_ACPI_START;
	t = w->p + off;
	if (memcmp(t, sig, 4) != 0 ||
	    off + le32(t + 4) > PLAT_ACPI_SIZE)
		return NULL;
	return t;
}

static void
check_madt(const struct win *w, const uint8_t *madt)
{
	uint32_t	 len = le32(madt + 4), off;
	int		 cpus = 0, x2apics = 0, ioapics = 0, iso0 = 0, iso9 = 0;
	int		 nmi = 0, x2nmi = 0, bad = 0, order = 1;
	const uint8_t	*e;

	tap_is(le32(madt + 36), PLAT_LAPIC_ADDR, "%d: MADT LAPIC address",
	    w->ncpus);
	tap_is(le32(madt + 40) & 1, 1, "%d: MADT PCAT_COMPAT", w->ncpus);
	for (off = 44; off + 2 <= len; off += e[1]) {
		e = madt + off;
		if (e[1] < 2 || off + e[1] > len) {
			bad = 1;
			break;
		}
		switch (e[0]) {
		case 0:		/* Processor Local APIC: UID, id, flags */
			if (e[1] != 8 || e[2] != cpus || e[3] != cpus ||
			    !(le32(e + 4) & 1))
				order = 0;
			cpus++;
			break;
		case 1:		/* I/O APIC */
			ioapics++;
			if (e[1] != 12 || le32(e + 4) != PLAT_IOAPIC_ADDR ||
			    le32(e + 8) != 0)
				bad = 1;
			break;
		case 2:		/* Interrupt Source Override */
			if (e[1] == 10 && e[3] == 0 && le32(e + 4) == 2)
				iso0++;
			if (e[1] == 10 && e[3] == PLAT_SCI_IRQ &&
			    le32(e + 4) == PLAT_SCI_IRQ && le16(e + 8) == 0xd)
				iso9++;
			break;
		case 4:		/* Local APIC NMI */
			if (e[1] == 6 && e[2] == 0xff && e[5] == 1)
				nmi++;
			break;
		case 9:		/* Processor Local x2APIC: id, flags, UID */
			if (e[1] != 16 || le32(e + 4) != (uint32_t)cpus ||
			    le32(e + 12) != (uint32_t)cpus || cpus < 255 ||
			    !(le32(e + 8) & 1))
				order = 0;
			cpus++;
			x2apics++;
			break;
		case 10:	/* Local x2APIC NMI */
			if (e[1] == 12 && le32(e + 4) == 0xffffffff &&
			    e[8] == 1)
				x2nmi++;
			break;
		default:
			bad = 1;
			break;
		}
	}
	tap_ok(!bad && off == len, "%d: MADT entries fill the table exactly",
	    w->ncpus);
	tap_is(cpus, w->ncpus, "%d: one enabled (x2)APIC per vCPU", w->ncpus);
	tap_ok(order, "%d: APIC ids 0..n-1 in order, UID == id, x2APIC "
	    "only above 254", w->ncpus);
	tap_is(x2apics, w->ncpus > 255 ? w->ncpus - 255 : 0,
	    "%d: x2APIC entries", w->ncpus);
	tap_is(ioapics, 1, "%d: one IOAPIC at GSI 0", w->ncpus);
	tap_is(iso0, 1, "%d: IRQ0 -> GSI2 override", w->ncpus);
	tap_is(iso9, 1, "%d: SCI level/high override", w->ncpus);
	tap_is(nmi, 1, "%d: LAPIC NMI on LINT1", w->ncpus);
	tap_is(x2nmi, x2apics > 0, "%d: x2APIC NMI iff x2APICs", w->ncpus);
}

static void
check_dsdt(const struct win *w, const uint8_t *dsdt)
{
	static const uint8_t	 s5[] = { '_', 'S', '5', '_', 0x12 };
	uint32_t		 len = le32(dsdt + 4), i;
	int			 cpus = 0, s5ok = 0;

	for (i = ACPI_HDR_LEN; i + 12 < len; i++) {
		if (memcmp(dsdt + i, "ACPI0007", 8) == 0)
			cpus++;
		/* Name (_S5, Package (4) { 0x0a S5, ... }) */
		if (memcmp(dsdt + i, s5, sizeof(s5)) == 0 &&
		    dsdt[i + 6] == 4 &&
		    ((dsdt[i + 7] == 0x0a && dsdt[i + 8] == PLAT_SLP_TYP_S5) ||
		    (PLAT_SLP_TYP_S5 == 1 && dsdt[i + 7] == 0x01)))
			s5ok = 1;
	}
	tap_ok(s5ok, "%d: \\_S5 package with SLP_TYP %d", w->ncpus,
	    PLAT_SLP_TYP_S5);
	tap_is(cpus, w->ncpus, "%d: one ACPI0007 processor device per vCPU",
	    w->ncpus);
	tap_is(dsdt[8], 2, "%d: DSDT revision 2 (64-bit integers)",
	    w->ncpus);
}

/* check_tables: walk from the RSDP like a guest; dump tables into dir. */
static void
check_tables(const struct win *w, const char *dir)
{
	const uint8_t	*rsdp = w->p, *rsdt, *xsdt, *fadt, *madt, *dsdt;
	const uint8_t	*facs, *t;
	uint32_t	 n, i;
	char		 path[256];
	FILE		*f;
	int		 sums = 1;

	tap_ok(memcmp(rsdp, "RSD PTR ", 8) == 0, "%d: RSDP signature",
	    w->ncpus);
	tap_is(sum(rsdp, 20), 0, "%d: RSDP checksum", w->ncpus);
	tap_is(sum(rsdp, 36), 0, "%d: RSDP extended checksum", w->ncpus);
	tap_is(rsdp[15], 2, "%d: RSDP revision 2", w->ncpus);
	tap_is(le32(rsdp + 20), 36, "%d: RSDP length", w->ncpus);
	rsdt = table(w, le32(rsdp + 16), "RSDT");
	xsdt = table(w, le64(rsdp + 24), "XSDT");
	tap_ok(rsdt != NULL && xsdt != NULL, "%d: RSDT and XSDT found",
	    w->ncpus);
	if (rsdt == NULL || xsdt == NULL)
		return;
	n = (le32(xsdt + 4) - ACPI_HDR_LEN) / 8;
	tap_is(le32(xsdt + 4), ACPI_HDR_LEN + 8 * n, "%d: XSDT length",
	    w->ncpus);
	tap_is(le32(rsdt + 4), ACPI_HDR_LEN + 4 * n,
	    "%d: RSDT lists as many tables", w->ncpus);
	fadt = madt = NULL;
	for (i = 0; i < n; i++) {
		if (le32(rsdt + ACPI_HDR_LEN + 4 * i) !=
		    le64(xsdt + ACPI_HDR_LEN + 8 * i))
			sums = 0;
		if ((t = table(w, le64(xsdt + ACPI_HDR_LEN + 8 * i),
		    "FACP")) != NULL)
			fadt = t;
		if ((t = table(w, le64(xsdt + ACPI_HDR_LEN + 8 * i),
		    "APIC")) != NULL)
			madt = t;
	}
	tap_ok(sums, "%d: RSDT and XSDT agree", w->ncpus);
	tap_ok(fadt != NULL && madt != NULL, "%d: XSDT lists FADT and MADT",
	    w->ncpus);
	if (fadt == NULL || madt == NULL)
		return;

	/* FADT. */
	tap_is(le32(fadt + 4), ACPI_FADT_LEN, "%d: FADT length", w->ncpus);
	tap_is(le32(fadt + 40), le64(fadt + 140), "%d: DSDT == X_DSDT",
	    w->ncpus);
	dsdt = table(w, le64(fadt + 140), "DSDT");
	facs = table(w, le32(fadt + 36), "FACS");
	tap_ok(dsdt != NULL, "%d: FADT points at the DSDT", w->ncpus);
	tap_ok(facs != NULL && le32(fadt + 36) % 64 == 0 &&
	    le32(facs + 4) == 64, "%d: FACS aligned, 64 bytes", w->ncpus);
	tap_is(le16(fadt + 46), PLAT_SCI_IRQ, "%d: SCI_INT", w->ncpus);
	tap_is(le32(fadt + 48), 0, "%d: no SMI_CMD", w->ncpus);
	tap_ok(le32(fadt + 56) == PLAT_PM1A_EVT && fadt[88] == 4 &&
	    le32(fadt + 64) == PLAT_PM1A_CNT && fadt[89] == 2 &&
	    le32(fadt + 76) == PLAT_PM_TMR && fadt[91] == 4,
	    "%d: PM1a event, control and timer blocks", w->ncpus);
	tap_ok(fadt[148] == 1 && le64(fadt + 152) == PLAT_PM1A_EVT &&
	    fadt[172] == 1 && le64(fadt + 176) == PLAT_PM1A_CNT &&
	    fadt[208] == 1 && le64(fadt + 212) == PLAT_PM_TMR,
	    "%d: X_ blocks match, in I/O space", w->ncpus);
	tap_ok(fadt[116] == 1 && fadt[117] == 8 &&
	    le64(fadt + 120) == PLAT_RESET_PORT &&
	    fadt[128] == PLAT_RESET_VALUE, "%d: RESET_REG and value",
	    w->ncpus);
	tap_is(le32(fadt + 112) & 0x530, 0x420,
	    "%d: RESET_REG_SUP and SLP_BUTTON set, PWR_BUTTON clear, "
	    "24-bit timer", w->ncpus);
	tap_is(le16(fadt + 109) & 0x23, 0x03,
	    "%d: legacy devices and 8042, CMOS RTC present", w->ncpus);

	check_madt(w, madt);
	if (dsdt != NULL)
		check_dsdt(w, dsdt);

	/* Every table's checksum, each within the window. */
	sums = sum(fadt, le32(fadt + 4)) == 0 &&
	    sum(madt, le32(madt + 4)) == 0 &&
	    sum(rsdt, le32(rsdt + 4)) == 0 && sum(xsdt, le32(xsdt + 4)) == 0 &&
	    (dsdt == NULL || sum(dsdt, le32(dsdt + 4)) == 0);
	tap_ok(sums, "%d: table checksums", w->ncpus);

	/* Dump for iasl: one binary file per table. */
	{
		const struct {
			const char	*name;
			const uint8_t	*t;
			size_t		 len;
		} dump[] = {
			{ "rsdt", rsdt, le32(rsdt + 4) },
			{ "xsdt", xsdt, le32(xsdt + 4) },
			{ "facp", fadt, le32(fadt + 4) },
			{ "facs", facs, facs ? le32(facs + 4) : 0 },
			{ "apic", madt, le32(madt + 4) },
			{ "dsdt", dsdt, dsdt ? le32(dsdt + 4) : 0 },
		};
		for (i = 0; i < sizeof(dump) / sizeof(dump[0]); i++) {
			if (dump[i].t == NULL)
				continue;
			(void)snprintf(path, sizeof(path), "%s/%s.dat", dir,
			    dump[i].name);
			if ((f = fopen(path, "wb")) == NULL ||
			    fwrite(dump[i].t, 1, dump[i].len, f) !=
			    dump[i].len || fclose(f) != 0)
				printf("# cannot write %s\n", path);
		}
	}
}

/* run: a shell command's status; its output (stdout+stderr) into out. */
static int
run(const char *cmd, char *out, size_t outlen)
{
	FILE	*p;
	size_t	 n = 0, r;
	int	 st;

	out[0] = '\0';
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	while (n + 1 < outlen && (r = fread(out + n, 1, outlen - n - 1,
	    p)) > 0)
		n += r;
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
show(const char *out)
{
	const char	*l, *e;

	for (l = out; *l != '\0'; l = *e ? e + 1 : e) {
		e = strchr(l, '\n');
		if (e == NULL)
			e = l + strlen(l);
		printf("#   %.*s\n", (int)(e - l), l);
	}
}

/*
 * check_iasl: disassemble each table (iasl -d), then compile the result
 * again; both must succeed without errors or warnings.
 */
static void
check_iasl(int ncpus, const char *dir)
{
	static const char	*names[] = { "rsdt", "xsdt", "facp", "facs",
				    "apic", "dsdt" };
	static char		 out[1 << 20];
	char			 cmd[512];
	size_t			 i;
	int			 st;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d %s.dat "
		    "2>&1", dir, names[i]);
		st = run(cmd, out, sizeof(out));
		tap_ok(st == 0 && strstr(out, "Error") == NULL &&
		    strstr(out, "Warning") == NULL,
		    "%d: iasl -d %s.dat is clean", ncpus, names[i]);
		if (st != 0 || strstr(out, "Error") != NULL)
			show(out);
		(void)snprintf(cmd, sizeof(cmd), "cd '%s' && grep -c -i "
		    "'error\\|invalid\\|\\*\\*\\*\\*' %s.dsl", dir, names[i]);
		st = run(cmd, out, sizeof(out));
		tap_ok(st == 1 && atoi(out) == 0,
		    "%d: %s.dsl has no error comments", ncpus, names[i]);
		(void)snprintf(cmd, sizeof(cmd), "cd '%s' && cp %s.dsl "
		    "re_%s.dsl && iasl re_%s.dsl 2>&1", dir, names[i],
		    names[i], names[i]);
		st = run(cmd, out, sizeof(out));
		tap_ok(st == 0 && strstr(out, " 0 Errors, 0 Warnings") != NULL,
		    "%d: %s.dsl recompiles without errors or warnings", ncpus,
		    names[i]);
		if (st != 0 || strstr(out, " 0 Errors, 0 Warnings") == NULL)
			show(out);
	}
	/* The DSDT again, with the other tables loaded as externals. */
	(void)snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -e facp.dat -d "
	    "dsdt.dat 2>&1", dir);
	st = run(cmd, out, sizeof(out));
	tap_ok(st == 0 && strstr(out, "Error") == NULL,
	    "%d: iasl -e facp.dat -d dsdt.dat is clean", ncpus);
	if (st != 0)
		show(out);
}

/*
 * check_acpiexec: load the DSDT into ACPICA's interpreter (the code Linux
 * runs), evaluate \_S5 and decode every _CRS and the _PRT the way the
 * kernel's resource manager does.
 */
static void
check_acpiexec(int ncpus, const char *dir)
{
	static const char	*want[] = {
		"[Integer] = 0000000000000005",		/* \_S5 SLP_TYPa */
		"[7B] PCI IRQ Routing Table Package",	/* 124 entries */
		"Address Maximum : FEBFFFFF",		/* MMIO window */
		"Address Maximum : 0CF7",		/* I/O window 1 */
		"Address Minimum : 0D00",		/* I/O window 2 */
		"Address Minimum : 03F8",		/* COM1 */
		"Interrupt List : 4",
		"Interrupt List : 8",			/* RTC */
		"Interrupt List : 1",			/* KBD */
		"\"ACPI0007\"",
		"No outstanding allocations",
	};
	static char		 out[1 << 20];
	char			 cmd[512];
	size_t			 i;
	int			 st, missing = 0;

	(void)snprintf(cmd, sizeof(cmd), "cd '%s' && acpiexec -b '"
	    "evaluate \\_S5; resources \\_SB.PCI0; "
	    "resources \\_SB.COM1; resources \\_SB.RTC; "
	    "resources \\_SB.KBD; evaluate \\_SB.C000._HID' dsdt.dat 2>&1",
	    dir);
	st = run(cmd, out, sizeof(out));
	tap_ok(st == 0 && strstr(out, "Error") == NULL &&
	    strstr(out, "Warning") == NULL && strstr(out, "Exception") ==
	    NULL && strstr(out, "Mismatch") == NULL,
	    "%d: acpiexec loads the DSDT without errors", ncpus);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(out, want[i]) == NULL) {
			printf("# acpiexec output lacks: %s\n", want[i]);
			missing++;
		}
	tap_is(missing, 0, "%d: acpiexec sees \\_S5, _PRT and every _CRS",
	    ncpus);
	if (st != 0 || missing)
		show(out);
}

static void
rmtree(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		(void)unlink(path);
	}
	closedir(d);
	(void)rmdir(dir);
}

/*
 * test_build: the tables for ncpus vCPUs; noacpica, if not NULL, is why
 * iasl and acpiexec cannot check them.
 */
static void
test_build(int ncpus, const char *noacpica)
{
	struct vm	 vm;
	struct win	 w;
	char		 dir[] = "/tmp/acpi_test.XXXXXX";

	fakevm_init(&vm);
	vm.params.ncpus = ncpus;
	if (mem_init(&vm.mem, TEST_MEM) == -1) {
		printf("Bail out! mem_init: %s\n", strerror(errno));
		exit(1);
	}
	tap_is(acpi_build(&vm), 0, "%d: acpi_build", ncpus);
	tap_is(vm.acpi_rsdp, PLAT_ACPI_START, "%d: vm->acpi_rsdp", ncpus);
	w.p = mem_gpa2hva(&vm.mem, PLAT_ACPI_START, PLAT_ACPI_SIZE);
	w.ncpus = ncpus;
	if (w.p == NULL || mkdtemp(dir) == NULL) {
		printf("Bail out! no window or temp dir\n");
		exit(1);
	}
	check_tables(&w, dir);
	if (noacpica == NULL) {
		check_iasl(ncpus, dir);
		check_acpiexec(ncpus, dir);
	} else
		tap_ok(1, "%d: iasl and acpiexec # SKIP %s", ncpus, noacpica);
	rmtree(dir);
	tap_ok(access(dir, F_OK) == -1, "%d: temp dir removed", ncpus);
	mem_free(&vm.mem);
	fakevm_free(&vm);
}

static void
test_errors(void)
{
	static uint8_t	buf[PLAT_ACPI_SIZE];
	struct vm	vm;
	size_t		used = 0;

	errno = 0;
	tap_ok(acpi_tables(buf, sizeof(buf), PLAT_ACPI_START, 0, NULL) == -1 &&
	    errno == EINVAL, "0 vCPUs: EINVAL");
	errno = 0;
	tap_ok(acpi_tables(buf, sizeof(buf), PLAT_ACPI_START,
	    ACPI_MAX_CPUS + 1, NULL) == -1 && errno == EINVAL,
	    "too many vCPUs: EINVAL");
	errno = 0;
	tap_ok(acpi_tables(buf, 0x300, PLAT_ACPI_START, 4, NULL) == -1 &&
	    errno == ENOSPC, "small buffer: ENOSPC");
	tap_is(acpi_tables(buf, sizeof(buf), PLAT_ACPI_START, ACPI_MAX_CPUS,
	    &used), 0, "%d vCPUs fit", ACPI_MAX_CPUS);
	tap_ok(used > ACPI_OFF_MADT && used <= PLAT_ACPI_SIZE,
	    "and use %zu bytes", used);

	fakevm_init(&vm);
	vm.params.ncpus = 1;
	tap_is(acpi_build(&vm), -1, "no guest RAM: acpi_build fails");
	fakevm_free(&vm);
}

int
main(void)
{
	char		 out[256];
	const char	*noacpica = NULL;

	if (run("iasl -v 2>&1", out, sizeof(out)) != 0)
		noacpica = "iasl does not run (acpica-tools not installed?)";
	else if (run("acpiexec -v 2>&1", out, sizeof(out)) != 0)
		noacpica = "acpiexec does not run (acpica-tools not installed?)";
	test_build(1, noacpica);
	test_build(4, noacpica);
	test_build(16, noacpica);
	test_build(PLAT_MAX_VCPUS, noacpica);
	test_build(300, noacpica);	/* x2APIC entries */
	test_errors();
	return tap_done();
}
