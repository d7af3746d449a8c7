/*
 * simfleet aka kdf FUNCTION: the EPS and 5G key derivations one at a time
 * (TS 33.220 B.2 KDF; TS 33.401 A.2; TS 33.402 A.2; TS 33.501 A.2-A.9;
 * RFC 5448 PRF').  Keys (--ck, --ik, --kausf, --kseaf, --kamf, --key) may be
 * given as @FILE or - (stdin).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "simfleet/err.h"
#include "simfleet/kdf.h"
#include "simfleet/util.h"

enum { F_CK = 300, F_IK, F_SNN, F_ANID, F_SQNAK, F_RAND, F_RES, F_RESSTAR, F_KAUSF, F_KSEAF,
       F_KAMF, F_SUPI, F_ABBA, F_COUNT, F_ACCESS, F_MCC, F_MNC, F_KEY, F_S, F_LEN, F_HELP };

struct kdf_args {
	const char *v[F_HELP - F_CK];
};
#define ARG(a, f) ((a)->v[(f)-F_CK])

static const struct option kdf_opts[] = {
	{"ck", required_argument, 0, F_CK}, {"ik", required_argument, 0, F_IK},
	{"snn", required_argument, 0, F_SNN}, {"anid", required_argument, 0, F_ANID},
	{"sqn-xor-ak", required_argument, 0, F_SQNAK}, {"rand", required_argument, 0, F_RAND},
	{"res", required_argument, 0, F_RES}, {"res-star", required_argument, 0, F_RESSTAR},
	{"kausf", required_argument, 0, F_KAUSF}, {"kseaf", required_argument, 0, F_KSEAF},
	{"kamf", required_argument, 0, F_KAMF}, {"supi", required_argument, 0, F_SUPI},
	{"abba", required_argument, 0, F_ABBA}, {"count", required_argument, 0, F_COUNT},
	{"access-type", required_argument, 0, F_ACCESS}, {"mcc", required_argument, 0, F_MCC},
	{"mnc", required_argument, 0, F_MNC}, {"key", required_argument, 0, F_KEY},
	{"s", required_argument, 0, F_S}, {"len", required_argument, 0, F_LEN},
	{"help", no_argument, 0, F_HELP}, {0, 0, 0, 0}};

static const char kdf_usage[] =
	"Usage: simfleet aka kdf FUNCTION [FLAGS...]\n"
	"\n"
	"Functions and their flags (all values hex unless said otherwise):\n"
	"  snn          --mcc DIGITS --mnc DIGITS                 serving network name\n"
	"  plmn-id      --mcc DIGITS --mnc DIGITS                 NAS PLMN identity (3 octets)\n"
	"  kasme        --ck --ik --mcc --mnc --sqn-xor-ak        K_ASME (TS 33.401 A.2)\n"
	"  ck-ik-prime  --ck --ik (--snn NAME|--anid NAME) --sqn-xor-ak\n"
	"                                                         CK', IK' (TS 33.402 A.2)\n"
	"  kausf        --ck --ik --snn NAME --sqn-xor-ak         K_AUSF (TS 33.501 A.2)\n"
	"  res-star     --ck --ik --snn NAME --rand --res         RES*/XRES* and HXRES*\n"
	"  hxres-star   --rand --res-star                         HXRES* (TS 33.501 A.5)\n"
	"  kseaf        --kausf --snn NAME                        K_SEAF (TS 33.501 A.6)\n"
	"  kamf         --kseaf --supi DIGITS [--abba HEX]        K_AMF (A.7; ABBA 0000)\n"
	"  kgnb         --kamf --count N [--access-type 1|2]      K_gNB (A.9; 3GPP access)\n"
	"  prf-prime    --key --s HEX --len N                     EAP-AKA' PRF' (RFC 5448)\n"
	"\n"
	"--sqn-xor-ak is the first 6 octets of AUTN.  Keys may be @FILE or - (stdin).\n";

static int need(const struct kdf_args *a, int f, const char *name)
{
	if (!ARG(a, f)) {
		sf_cli_err("--%s is required for this function (see --help)", name);
		return 1;
	}
	return 0;
}

static int ckik(const struct kdf_args *a, uint8_t *ck, size_t *ckl, uint8_t *ik, size_t *ikl)
{
	if (need(a, F_CK, "ck") || need(a, F_IK, "ik"))
		return 1;
	if (sf_cli_hex("--ck", ARG(a, F_CK), 1, ck, 32, 0, ckl) ||
	    sf_cli_hex("--ik", ARG(a, F_IK), 1, ik, 32, 0, ikl))
		return 1;
	if ((*ckl != 16 && *ckl != 32) || (*ikl != 16 && *ikl != 32)) {
		sf_cli_err("--ck/--ik: expected 32 or 64 hex digits");
		return 1;
	}
	return 0;
}

static int name_arg(const struct kdf_args *a, int f, const char *flag)
{
	const char *s = ARG(a, f);
	if (!s)
		return 0;
	if (!*s || strlen(s) > SF_SNN_MAX_LEN) {
		sf_cli_err("%s: expected 1 to %d characters", flag, SF_SNN_MAX_LEN);
		return 1;
	}
	return 0;
}

int sf_cmd_aka_kdf(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		int help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
		fputs(kdf_usage, help ? stdout : stderr);
		return help ? SF_EXIT_OK : SF_EXIT_USAGE;
	}
	const char *fn = argv[1];
	struct kdf_args a = {0};
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", kdf_opts, NULL)) != -1) {
		if (c == F_HELP) {
			fputs(kdf_usage, stdout);
			return SF_EXIT_OK;
		}
		if (c < F_CK || c >= F_HELP) {
			sf_cli_err("bad option (see 'simfleet aka kdf --help')");
			return SF_EXIT_USAGE;
		}
		ARG(&a, c) = optarg;
	}
	if (optind < argc) {
		sf_cli_err("unexpected argument '%s'", argv[optind]);
		return SF_EXIT_USAGE;
	}
	if (name_arg(&a, F_SNN, "--snn") || name_arg(&a, F_ANID, "--anid"))
		return SF_EXIT_USAGE;

	uint8_t ck[32], ik[32], k1[32], k2[32], sqnak[6], rand[16], res[32], out[32], out2[32];
	uint8_t big[256];
	size_t ckl = 0, ikl = 0, l = 0;
	int rc = SF_EXIT_USAGE, e = 0;
	json_t *j = json_object();
	const char *snn = ARG(&a, F_SNN);

	if (strcmp(fn, "snn") == 0 || strcmp(fn, "plmn-id") == 0 || strcmp(fn, "kasme") == 0) {
		if (need(&a, F_MCC, "mcc") || need(&a, F_MNC, "mnc"))
			goto out;
		char name[SF_SNN_MAX_LEN + 1];
		uint8_t plmn[3];
		if (sf_kdf_snn(name, sizeof(name), &l, ARG(&a, F_MCC), ARG(&a, F_MNC)) ||
		    sf_kdf_plmn_id(ARG(&a, F_MCC), ARG(&a, F_MNC), plmn)) {
			sf_cli_err("--mcc/--mnc: expected a 3-digit MCC and a 2- or 3-digit MNC");
			goto out;
		}
		if (strcmp(fn, "snn") == 0) {
			json_object_set_new(j, "snn", json_string(name));
		} else if (strcmp(fn, "plmn-id") == 0) {
			sf_cli_json_hex(j, "plmn_id", plmn, 3);
		} else {
			if (ckik(&a, ck, &ckl, ik, &ikl) || need(&a, F_SQNAK, "sqn-xor-ak") ||
			    sf_cli_hex("--sqn-xor-ak", ARG(&a, F_SQNAK), 0, sqnak, 6, 6, NULL))
				goto out;
			if ((e = sf_kdf_kasme(ck, ckl, ik, ikl, plmn, sqnak, out)) == 0)
				sf_cli_json_hex(j, "kasme", out, 32);
		}
	} else if (strcmp(fn, "ck-ik-prime") == 0) {
		const char *anid = ARG(&a, F_ANID) ? ARG(&a, F_ANID) : snn;
		if (!anid) {
			sf_cli_err("--snn or --anid is required for ck-ik-prime");
			goto out;
		}
		if (ckik(&a, ck, &ckl, ik, &ikl) || need(&a, F_SQNAK, "sqn-xor-ak") ||
		    sf_cli_hex("--sqn-xor-ak", ARG(&a, F_SQNAK), 0, sqnak, 6, 6, NULL))
			goto out;
		if ((e = sf_kdf_ck_ik_prime(ck, ckl, ik, ikl, (const uint8_t *)anid, strlen(anid),
					    sqnak, out, out2)) == 0) {
			sf_cli_json_hex(j, "ck_prime", out, 16);
			sf_cli_json_hex(j, "ik_prime", out2, 16);
		}
	} else if (strcmp(fn, "kausf") == 0) {
		if (ckik(&a, ck, &ckl, ik, &ikl) || need(&a, F_SNN, "snn") ||
		    need(&a, F_SQNAK, "sqn-xor-ak") ||
		    sf_cli_hex("--sqn-xor-ak", ARG(&a, F_SQNAK), 0, sqnak, 6, 6, NULL))
			goto out;
		if ((e = sf_kdf_kausf(ck, ckl, ik, ikl, (const uint8_t *)snn, strlen(snn), sqnak,
				      out)) == 0)
			sf_cli_json_hex(j, "kausf", out, 32);
	} else if (strcmp(fn, "res-star") == 0) {
		if (ckik(&a, ck, &ckl, ik, &ikl) || need(&a, F_SNN, "snn") || need(&a, F_RAND, "rand") ||
		    need(&a, F_RES, "res") ||
		    sf_cli_hex("--rand", ARG(&a, F_RAND), 0, rand, 16, 16, NULL) ||
		    sf_cli_hex("--res", ARG(&a, F_RES), 0, res, 16, 0, &l))
			goto out;
		if (l < 4) {
			sf_cli_err("--res: expected 8 to 32 hex digits");
			goto out;
		}
		if ((e = sf_kdf_res_star(ck, ckl, ik, ikl, (const uint8_t *)snn, strlen(snn), rand,
					 res, l, out)) == 0) {
			sf_kdf_hxres_star(rand, out, out2);
			sf_cli_json_hex(j, "res_star", out, 16);
			sf_cli_json_hex(j, "hxres_star", out2, 16);
		}
	} else if (strcmp(fn, "hxres-star") == 0) {
		if (need(&a, F_RAND, "rand") || need(&a, F_RESSTAR, "res-star") ||
		    sf_cli_hex("--rand", ARG(&a, F_RAND), 0, rand, 16, 16, NULL) ||
		    sf_cli_hex("--res-star", ARG(&a, F_RESSTAR), 0, res, 16, 16, NULL))
			goto out;
		sf_kdf_hxres_star(rand, res, out);
		sf_cli_json_hex(j, "hxres_star", out, 16);
	} else if (strcmp(fn, "kseaf") == 0) {
		if (need(&a, F_KAUSF, "kausf") || need(&a, F_SNN, "snn") ||
		    sf_cli_hex("--kausf", ARG(&a, F_KAUSF), 1, k1, 32, 32, NULL))
			goto out;
		if ((e = sf_kdf_kseaf(k1, (const uint8_t *)snn, strlen(snn), out)) == 0)
			sf_cli_json_hex(j, "kseaf", out, 32);
	} else if (strcmp(fn, "kamf") == 0) {
		uint8_t abba[16] = {0, 0};
		size_t abl = 2;
		const char *supi = ARG(&a, F_SUPI);
		if (need(&a, F_KSEAF, "kseaf") || need(&a, F_SUPI, "supi") ||
		    sf_cli_hex("--kseaf", ARG(&a, F_KSEAF), 1, k1, 32, 32, NULL))
			goto out;
		if (ARG(&a, F_ABBA) && sf_cli_hex("--abba", ARG(&a, F_ABBA), 0, abba, 16, 0, &abl))
			goto out;
		size_t sl = strlen(supi);
		if (sl < 5 || sl > 15 || strspn(supi, "0123456789") != sl) {
			sf_cli_err("--supi: expected the IMSI as 5 to 15 digits");
			goto out;
		}
		if ((e = sf_kdf_kamf(k1, (const uint8_t *)supi, sl, abba, abl, out)) == 0)
			sf_cli_json_hex(j, "kamf", out, 32);
	} else if (strcmp(fn, "kgnb") == 0) {
		uint64_t count, at = 1;
		if (need(&a, F_KAMF, "kamf") || need(&a, F_COUNT, "count") ||
		    sf_cli_hex("--kamf", ARG(&a, F_KAMF), 1, k1, 32, 32, NULL) ||
		    sf_cli_uint("--count", ARG(&a, F_COUNT), 0, 0xFFFFFFFFu, &count))
			goto out;
		if (ARG(&a, F_ACCESS) && sf_cli_uint("--access-type", ARG(&a, F_ACCESS), 1, 2, &at))
			goto out;
		if ((e = sf_kdf_kgnb(k1, (uint32_t)count, (uint8_t)at, out)) == 0)
			sf_cli_json_hex(j, "kgnb", out, 32);
	} else if (strcmp(fn, "prf-prime") == 0) {
		uint8_t s[256];
		size_t kl = 0, sl = 0;
		uint64_t n;
		if (need(&a, F_KEY, "key") || need(&a, F_S, "s") || need(&a, F_LEN, "len") ||
		    sf_cli_hex("--key", ARG(&a, F_KEY), 1, k1, 32, 0, &kl) ||
		    sf_cli_hex("--s", ARG(&a, F_S), 0, s, sizeof(s), 0, &sl) ||
		    sf_cli_uint("--len", ARG(&a, F_LEN), 1, 256, &n))
			goto out;
		if ((e = sf_kdf_prf_prime(k1, kl, s, sl, big, (size_t)n)) == 0)
			sf_cli_json_hex(j, "out", big, (size_t)n);
		sf_wipe(big, sizeof(big));
	} else {
		sf_cli_err("aka kdf: unknown function '%s' (see 'simfleet aka kdf --help')", fn);
		goto out;
	}
	if (e) {
		sf_cli_err("aka kdf %s: %s", fn, sf_strerror(e));
		rc = e == SF_EINVAL ? SF_EXIT_USAGE : SF_EXIT_FAIL;
		goto out;
	}
	rc = sf_cli_print(j);
	j = NULL;
out:
	json_decref(j);
	sf_wipe(ck, sizeof(ck));
	sf_wipe(ik, sizeof(ik));
	sf_wipe(k1, sizeof(k1));
	sf_wipe(k2, sizeof(k2));
	sf_wipe(res, sizeof(res));
	sf_wipe(out, sizeof(out));
	sf_wipe(out2, sizeof(out2));
	return rc;
}
