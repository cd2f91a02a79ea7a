/* SPDX-License-Identifier: ISC */
/* Minimal TAP producer for C unit tests (header only). */
#ifndef TESTS_HELPER_TAP_H
#define TESTS_HELPER_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct tap_state {
	int	n;
	int	failed;
};

static struct tap_state tap_st;

static void __attribute__((format(printf, 2, 3), unused))
tap_ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	tap_st.n++;
	if (!cond)
		tap_st.failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_st.n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Compare two integers; print both on failure. */
#define tap_is(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	tap_ok(g_ == w_, __VA_ARGS__);					\
	if (g_ != w_)							\
		printf("#   got %lld (0x%llx), want %lld (0x%llx)\n",	\
		    g_, (unsigned long long)g_, w_,			\
		    (unsigned long long)w_);				\
} while (0)

static int __attribute__((unused))
tap_done(void)
{
	printf("1..%d\n", tap_st.n);
	return tap_st.failed ? 1 : 0;
}

#endif /* TESTS_HELPER_TAP_H */
