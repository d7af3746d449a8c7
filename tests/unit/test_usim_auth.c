/*
 * AUTHENTICATE (TS 31.102 §7.1.2) through the card engine, with the bytes a
 * terminal sends: the TS 35.208 set 1 worked example, sync and MAC failures,
 * the GSM context, and the SQN persistence rule (nothing is released when the
 * new SQN state cannot be stored).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helper_tsv.h"
#include "simfleet/card.h"
#include "simfleet/err.h"
#include "simfleet/usim.h"

struct fixture {
	struct sf_aka_ctx aka;
	struct sf_sqn_ms sqn;
	struct sf_usim_auth u;
	struct sf_card card;
	int persist_calls, persist_fail;
	struct sf_sqn_ms stored;
};

static int persist(void *user, const struct sf_sqn_ms *ms)
{
	struct fixture *f = user;
	f->persist_calls++;
	if (f->persist_fail)
		return SF_EIO;
	f->stored = *ms;
	return 0;
}

static int process(void *user, struct sf_card *card, const struct sf_apdu *cmd, struct sf_rapdu *rsp)
{
	(void)card;
	struct fixture *f = user;
	return sf_usim_authenticate(&f->u, cmd, rsp);
}

static const struct sf_card_app app = {process, NULL, NULL, NULL};

static struct fixture *setup_set1(void)
{
	static struct fixture f;
	struct sf_aka_params p;
	uint8_t op[16];
	memset(&f, 0, sizeof(f));
	sf_aka_params_init(&p, SF_AKA_ALG_MILENAGE);
	sf_test_unhex("465b5ce8b199b49faa5f0a2ee238a6bc", p.k, 16);
	sf_test_unhex("cdc202d5123e20f62b6d676ac72cb318", op, 16);
	assert_int_equal(sf_aka_params_set_op(&p, op, 16), 0);
	assert_int_equal(sf_aka_init(&f.aka, &p), 0);
	assert_int_equal(sf_sqn_ms_init(&f.sqn, 5, SF_SQN_DELTA_DEFAULT, 0), 0);
	/* SQN ff9bb4d0b607 is far past 0: start the USIM just below it. */
	assert_int_equal(sf_sqn_ms_set_all(&f.sqn, 0xff9bb4d0b607ull - (64u << 5)), 0);
	f.u.aka = &f.aka;
	f.u.sqn = &f.sqn;
	f.u.gsm_access = 1;
	f.u.persist = persist;
	f.u.user = &f;
	assert_int_equal(sf_card_init(&f.card, &app, &f, 0), 0);
	return &f;
}

/* Sends hex, returns the R-APDU in hex. */
static const char *xfer(struct fixture *f, const char *hex)
{
	static char out[2 * 600 + 1];
	uint8_t cmd[300], rsp[600];
	size_t n = sf_test_unhex(hex, cmd, sizeof(cmd)), rn = 0;
	assert_int_equal(sf_card_transmit(&f->card, cmd, n, rsp, sizeof(rsp), &rn), 0);
	for (size_t i = 0; i < rn; i++)
		snprintf(out + 2 * i, 3, "%02x", rsp[i]);
	out[2 * rn] = 0;
	return out;
}

#define AUTH_SET1 "008800812210" "23553cbe9637a89d218ae64dae47bf35" "10" "55f328b43577b9b94a9ffac354dfafb3"

static void test_worked_example(void **state)
{
	(void)state;
	struct fixture *f = setup_set1();
	/* T=0: case 4 answers 61 xx, the data comes with GET RESPONSE. */
	assert_string_equal(xfer(f, AUTH_SET1 "00"), "6135");
	assert_string_equal(xfer(f, "00c0000035"),
			    "db08a54211d5e3ba50bf"
			    "10b40ba9a3c58b2a05bbf0d987b21bf8cb"
			    "10f769bcd751044604127672711c6d3441"
			    "08eae4be823af9a08b"
			    "9000");
	assert_int_equal(f->persist_calls, 1);
	assert_int_equal(sf_sqn_ms_highest(&f->stored), 0xff9bb4d0b607ull);
	assert_int_equal(sf_sqn_ms_highest(&f->sqn), 0xff9bb4d0b607ull);

	/* The replay: synchronisation failure with AUTS of SQN_MS = that SQN. */
	assert_string_equal(xfer(f, AUTH_SET1), "6110");
	const char *r = xfer(f, "00c0000010");
	assert_memory_equal(r, "dc0e", 4);
	uint8_t auts[14];
	char auts_hex[29];
	memcpy(auts_hex, r + 4, 28);
	auts_hex[28] = 0;
	sf_test_unhex(auts_hex, auts, 14);
	uint8_t rand[16];
	sf_test_unhex("23553cbe9637a89d218ae64dae47bf35", rand, 16);
	uint64_t sqn_ms;
	assert_int_equal(sf_aka_auts_verify(&f->aka, rand, auts, &sqn_ms), 0);
	assert_int_equal(sqn_ms, 0xff9bb4d0b607ull);
	/* ...which matches the AUTS test value of notes/aka.md §7. */
	assert_string_equal(r + 4, "ba853f3c123ccf44e93596e355c6" "9000");
	assert_int_equal(f->persist_calls, 1);
	sf_card_free(&f->card);
}

static void test_failures(void **state)
{
	(void)state;
	struct fixture *f = setup_set1();
	struct sf_sqn_ms before = f->sqn;
	/* MAC failure: 98 62, no data, nothing stored. */
	assert_string_equal(xfer(f, "008800812210" "23553cbe9637a89d218ae64dae47bf35" "10"
				    "55f328b43577b9b94a9ffac354dfafb2" "00"),
			    "9862");
	assert_memory_equal(&before, &f->sqn, sizeof(before));
	/* The SQN cannot be stored: 65 81, RES not released, state unchanged. */
	f->persist_fail = 1;
	assert_string_equal(xfer(f, AUTH_SET1 "00"), "6581");
	assert_memory_equal(&before, &f->sqn, sizeof(before));
	f->persist_fail = 0;
	assert_string_equal(xfer(f, AUTH_SET1 "00"), "6135");
	/* Wrong lengths and parameters. */
	assert_string_equal(xfer(f, "00880081021000"), "6700");
	assert_string_equal(xfer(f, "008800812210" "23553cbe9637a89d218ae64dae47bf35" "0f"
				    "55f328b43577b9b94a9ffac354dfafb3" "00"),
			    "6700");
	assert_string_equal(xfer(f, "008801812210" "23553cbe9637a89d218ae64dae47bf35" "10"
				    "55f328b43577b9b94a9ffac354dfafb3" "00"),
			    "6a86");
	assert_string_equal(xfer(f, "008800842210" "23553cbe9637a89d218ae64dae47bf35" "10"
				    "55f328b43577b9b94a9ffac354dfafb3" "00"),
			    "9864");
	assert_string_equal(xfer(f, "0088008100"), "6700");
	sf_card_free(&f->card);
}

static void test_gsm_context(void **state)
{
	(void)state;
	struct fixture *f = setup_set1();
	assert_string_equal(xfer(f, "008800801110" "23553cbe9637a89d218ae64dae47bf35" "00"), "610e");
	assert_string_equal(xfer(f, "00c000000e"), "0446f8416a08eae4be823af9a08b9000");
	assert_int_equal(f->persist_calls, 0);
	/* Without GSM access (EF_UST service 27) there is no GSM context, and no Kc. */
	f->u.gsm_access = 0;
	assert_string_equal(xfer(f, "008800801110" "23553cbe9637a89d218ae64dae47bf35" "00"), "9864");
	assert_string_equal(xfer(f, AUTH_SET1 "00"), "612c");
	sf_card_free(&f->card);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_gsm_context),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
