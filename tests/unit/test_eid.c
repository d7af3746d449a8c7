/* EIDs (GSMA SGP.29): check digits of published EIDs, generation, rejection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "simfleet/eid.h"
#include "simfleet/err.h"
#include "simfleet/rng.h"

static void test_known(void **state)
{
	(void)state;
	/* The SGP.26 test eUICC's EID, and two more published ones. */
	assert_int_equal(sf_eid_check("89049032123451234512345678901235"), 0);
	assert_int_equal(sf_eid_check("89001012012341234012345678901224"), 0);
	assert_int_equal(sf_eid_check("89044045116727494800000004479366"), 0);
	/* One digit changed, two swapped, wrong length, not 89, not digits. */
	assert_int_equal(sf_eid_check("89049032123451234512345678901236"), SF_EINVAL);
	assert_int_equal(sf_eid_check("89049032123451234512345678902135"), SF_EINVAL);
	assert_int_equal(sf_eid_check("8904903212345123451234567890123"), SF_EINVAL);
	assert_int_equal(sf_eid_check("79049032123451234512345678901235"), SF_EINVAL);
	assert_int_equal(sf_eid_check("8904903212345123451234567890123a"), SF_EINVAL);
	assert_int_equal(sf_eid_check(NULL), SF_EINVAL);
}

static void test_generate(void **state)
{
	(void)state;
	struct sf_rng_det det;
	sf_rng_det_init(&det, 5);
	char eid[33], prev[33] = "";
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(sf_eid_generate(eid, "89049032", &det.rng), 0);
		assert_int_equal(strlen(eid), 32);
		assert_memory_equal(eid, "89049032", 8);
		assert_int_equal(sf_eid_check(eid), 0);
		assert_string_not_equal(eid, prev);
		memcpy(prev, eid, sizeof(eid));
	}
	assert_int_equal(sf_eid_generate(eid, "12", &det.rng), SF_EINVAL);
	assert_int_equal(sf_eid_generate(eid, "8", &det.rng), SF_EINVAL);
	assert_int_equal(sf_eid_generate(eid, "890490321234512345123456789012345", &det.rng), SF_EINVAL);
	/* A 30-digit prefix only gets its check digits. */
	assert_int_equal(sf_eid_generate(eid, "890490321234512345123456789012", &det.rng), 0);
	assert_string_equal(eid, "89049032123451234512345678901235");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_generate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
