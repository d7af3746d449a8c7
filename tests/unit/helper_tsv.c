#include "helper_tsv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "simfleet/util.h"

void sf_tsv_load(struct sf_tsv *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	const char *dir = getenv("SF_VECTORS");
	if (!dir)
		dir = "tests/vectors";
	snprintf(t->path, sizeof(t->path), "%s/%s", dir, name);
	FILE *f = fopen(t->path, "rb");
	if (!f)
		fail_msg("cannot open vector file %s (set SF_VECTORS)", t->path);
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	t->buf = malloc((size_t)sz + 1);
	assert_non_null(t->buf);
	assert_int_equal(fread(t->buf, 1, (size_t)sz, f), (size_t)sz);
	t->buf[sz] = 0;
	fclose(f);

	char *line = t->buf;
	size_t row = 0;
	int header = 1;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (*line) {
			char **dst = header ? t->head : t->cell[row];
			size_t c = 0;
			char *p = line;
			for (;;) {
				if (c >= SF_TSV_MAX_COLS)
					fail_msg("%s: too many columns", t->path);
				char *tab = strchr(p, '\t');
				if (tab)
					*tab = 0;
				size_t l = strlen(p);
				if (l && p[l - 1] == '\r')
					p[l - 1] = 0;
				dst[c++] = p;
				if (!tab)
					break;
				p = tab + 1;
			}
			if (header) {
				t->ncols = c;
				header = 0;
			} else {
				for (; c < t->ncols; c++)
					dst[c] = "";
				if (++row >= SF_TSV_MAX_ROWS)
					fail_msg("%s: too many rows", t->path);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	t->nrows = row;
	if (t->nrows == 0)
		fail_msg("%s: no vectors", t->path);
}

void sf_tsv_free(struct sf_tsv *t)
{
	free(t->buf);
	t->buf = NULL;
}

const char *sf_tsv_get(const struct sf_tsv *t, size_t r, const char *col)
{
	for (size_t c = 0; c < t->ncols; c++)
		if (strcmp(t->head[c], col) == 0)
			return t->cell[r][c];
	fail_msg("%s: no column %s", t->path, col);
	return "";
}

size_t sf_test_unhex(const char *hex, uint8_t *dst, size_t cap)
{
	size_t out = 0;
	int rc = sf_hex_decode(dst, cap, &out, hex, strlen(hex));
	if (rc != 0)
		fail_msg("bad hex '%s' (rc %d)", hex, rc);
	return out;
}

size_t sf_tsv_hex(const struct sf_tsv *t, size_t r, const char *col, uint8_t *dst, size_t cap)
{
	return sf_test_unhex(sf_tsv_get(t, r, col), dst, cap);
}

void sf__assert_mem(const char *label, const void *a, const void *b, size_t len, const char *file,
		    int line)
{
	if (memcmp(a, b, len) == 0)
		return;
	char ha[1025], hb[1025];
	size_t n = len > 512 ? 512 : len;
	sf_hex_encode(ha, sizeof(ha), a, n);
	sf_hex_encode(hb, sizeof(hb), b, n);
	fail_msg("%s:%d: %s differs\n  got      %s\n  expected %s", file, line, label, ha, hb);
}

uint8_t *sf_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		b = malloc((size_t)n + 1);
		if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
			free(b);
			b = NULL;
		}
		if (b) {
			b[n] = 0;
			*len = (size_t)n;
		}
	}
	fclose(f);
	return b;
}
