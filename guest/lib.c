/* SPDX-License-Identifier: ISC */
/* The little C library the guest needs: memory, strings, formatting, locks. */
#include "guest.h"

void *
memset(void *d, int c, size_t n)
{
	uint8_t	*p = d;

	while (n-- > 0)
		*p++ = (uint8_t)c;
	return d;
}

void *
memcpy(void *d, const void *s, size_t n)
{
	uint8_t		*p = d;
	const uint8_t	*q = s;

	while (n-- > 0)
		*p++ = *q++;
	return d;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t	*p = a, *q = b;

	for (; n > 0; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t
strlen(const char *s)
{
	size_t	 n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

int
strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		if (*a != *b)
			return (uint8_t)*a - (uint8_t)*b;
		if (*a == '\0')
			break;
	}
	return 0;
}

/*
 * parse_u64: a decimal or 0x-prefixed hexadecimal number of n characters,
 * with an optional K, M or G suffix.  Returns 0, or -1 if malformed.
 */
int
parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t	 x = 0;
	unsigned int	 base = 10, d;
	size_t		 i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			break;
		x = x * base + d;
	}
	if (i + 1 == n) {
		switch (s[i]) {
		case 'K': case 'k': x <<= 10; i++; break;
		case 'M': case 'm': x <<= 20; i++; break;
		case 'G': case 'g': x <<= 30; i++; break;
		}
	}
	if (i != n)
		return -1;
	*v = x;
	return 0;
}

void
spin_lock(volatile int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE) != 0)
		while (*l != 0)
			cpu_relax();
}

void
spin_unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

struct fmtbuf {
	char	*p;
	size_t	 len, n;
};

static void
fmt_putc(struct fmtbuf *b, char c)
{
	if (b->n + 1 < b->len)
		b->p[b->n] = c;
	b->n++;
}

static void
fmt_num(struct fmtbuf *b, uint64_t v, unsigned int base, int neg, int width,
    char pad)
{
	char	 tmp[24];
	int	 i = 0;

	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	if (neg)
		tmp[i++] = '-';
	for (; width > i; width--)
		fmt_putc(b, pad);
	while (i > 0)
		fmt_putc(b, tmp[--i]);
}

/*
 * vsnprintf: %d %i %u %x %c %s %p %%, with an optional 0 flag, width and
 * l or ll length.  Returns the length the whole output would have.
 */
int
vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct fmtbuf	 b = { buf, len, 0 };
	const char	*s;
	uint64_t	 u;
	int64_t		 d;
	int		 width, lng;
	char		 pad;

	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%') {
			fmt_putc(&b, *fmt);
			continue;
		}
		fmt++;
		pad = ' ';
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		for (width = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (lng = 0; *fmt == 'l'; fmt++)
			lng++;
		switch (*fmt) {
		case 'd':
		case 'i':
			d = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			fmt_num(&b, d < 0 ? -(uint64_t)d : (uint64_t)d, 10,
			    d < 0, width, pad);
			break;
		case 'u':
		case 'x':
			u = lng ? va_arg(ap, uint64_t) :
			    va_arg(ap, unsigned int);
			fmt_num(&b, u, *fmt == 'u' ? 10 : 16, 0, width, pad);
			break;
		case 'p':
			fmt_putc(&b, '0');
			fmt_putc(&b, 'x');
			fmt_num(&b, (uint64_t)va_arg(ap, void *), 16, 0, width,
			    pad);
			break;
		case 'c':
			fmt_putc(&b, (char)va_arg(ap, int));
			break;
		case 's':
			if ((s = va_arg(ap, const char *)) == NULL)
				s = "(null)";
			for (width -= (int)strlen(s); width > 0; width--)
				fmt_putc(&b, ' ');
			while (*s != '\0')
				fmt_putc(&b, *s++);
			break;
		case '\0':
			fmt--;
			break;
		default:
			fmt_putc(&b, *fmt);
			break;
		}
	}
	if (len > 0)
		buf[b.n < len ? b.n : len - 1] = '\0';
	return (int)b.n;
}

int
snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}
