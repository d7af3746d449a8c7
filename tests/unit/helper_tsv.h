/* Test helper: reads the tab-separated vector files of tests/vectors (one
 * header row, then one case per row) and decodes hex cells. */
#ifndef SF_TEST_HELPER_TSV_H
#define SF_TEST_HELPER_TSV_H

#include <stddef.h>
#include <stdint.h>

#define SF_TSV_MAX_COLS 32
#define SF_TSV_MAX_ROWS 64

struct sf_tsv {
	char *buf;
	size_t ncols, nrows;
	char *head[SF_TSV_MAX_COLS];
	char *cell[SF_TSV_MAX_ROWS][SF_TSV_MAX_COLS];
	char path[512];
};

/* Loads $SF_VECTORS/name; fails the test (cmocka) when it cannot. */
void sf_tsv_load(struct sf_tsv *t, const char *name);
void sf_tsv_free(struct sf_tsv *t);
/* The cell of row r in the column named col ("" when empty); fails the test
 * when the column does not exist. */
const char *sf_tsv_get(const struct sf_tsv *t, size_t r, const char *col);
/* Decodes a hex cell; returns its length in octets. Fails the test on bad hex
 * or when it does not fit. */
size_t sf_tsv_hex(const struct sf_tsv *t, size_t r, const char *col, uint8_t *dst, size_t cap);
/* Decodes a hex string (test helper, fails the test on error). */
size_t sf_test_unhex(const char *hex, uint8_t *dst, size_t cap);
/* Reads a whole file into a malloc'ed buffer with a NUL after it (*len
 * excludes it); NULL when it cannot be read or is empty. */
uint8_t *sf_test_read_file(const char *path, size_t *len);
/* Asserts two buffers are equal, printing both in hex and the label on failure. */
#define sf_assert_mem(label, a, b, len) sf__assert_mem((label), (a), (b), (len), __FILE__, __LINE__)
void sf__assert_mem(const char *label, const void *a, const void *b, size_t len, const char *file,
		    int line);

#endif
