/*
 * simfleet aka: the AKA engine on the command line.
 *   gen     one authentication vector (AuC side), with every intermediate
 *   usim    the USIM's check of (RAND, AUTN) against a SQN state
 *   resync  the AuC's check of AUTS, recovering SQN_MS
 *   kdf     the EPS / 5G key derivations one at a time
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "simfleet/aka.h"
#include "simfleet/err.h"
#include "simfleet/kdf.h"
#include "simfleet/rng.h"
#include "simfleet/util.h"

/* ---- options shared by gen, usim, resync ------------------------------- */

enum {
	O_ALG = 256, O_K, O_OP, O_OPC, O_TOP, O_TOPC, O_MAC, O_RES, O_CK, O_IK, O_ITER,
	O_SQN, O_AMF, O_RAND, O_SNN, O_AUTN, O_SQN_MS, O_IND, O_DELTA, O_AGE, O_AUTS, O_HELP
};

#define ALG_OPTIONS                                                                         \
	{"alg", required_argument, 0, O_ALG}, {"k", required_argument, 0, O_K},             \
		{"op", required_argument, 0, O_OP}, {"opc", required_argument, 0, O_OPC},   \
		{"top", required_argument, 0, O_TOP}, {"topc", required_argument, 0, O_TOPC}, \
		{"mac-len", required_argument, 0, O_MAC},                                   \
		{"res-len", required_argument, 0, O_RES},                                   \
		{"ck-len", required_argument, 0, O_CK}, {"ik-len", required_argument, 0, O_IK}, \
		{"iterations", required_argument, 0, O_ITER}, {"help", no_argument, 0, O_HELP}

#define ALG_HELP                                                                            \
	"  --alg milenage|tuak|xor   the algorithm (required)\n"                                \
	"  --k HEX                   subscriber key K: 32 hex digits (TUAK: 32 or 64)\n"        \
	"  --op HEX | --opc HEX      Milenage operator variant OP, or OPc (32 hex digits)\n"    \
	"  --top HEX | --topc HEX    TUAK operator variant TOP, or TOPc (64 hex digits)\n"      \
	"  --mac-len BITS            MAC length: 64 (TUAK: 64, 128, 256)\n"                     \
	"  --res-len BITS            RES length: Milenage 64; TUAK 32, 64, 128, 256;\n"         \
	"                            XOR 32..128 in steps of 8 (default 128)\n"                 \
	"  --ck-len BITS, --ik-len BITS  CK / IK length: 128 (TUAK: 128 or 256)\n"              \
	"  --iterations N            TUAK Keccak iterations (default 1)\n"                      \
	"Secrets (--k, --op, --opc, --top, --topc) may be given as @FILE or - (stdin).\n"

struct alg_opts {
	const char *alg, *k, *op, *opc, *top, *topc, *mac, *res, *ck, *ik, *iter;
};

static int take_alg_opt(struct alg_opts *o, int c, const char *arg)
{
	switch (c) {
	case O_ALG: o->alg = arg; return 1;
	case O_K: o->k = arg; return 1;
	case O_OP: o->op = arg; return 1;
	case O_OPC: o->opc = arg; return 1;
	case O_TOP: o->top = arg; return 1;
	case O_TOPC: o->topc = arg; return 1;
	case O_MAC: o->mac = arg; return 1;
	case O_RES: o->res = arg; return 1;
	case O_CK: o->ck = arg; return 1;
	case O_IK: o->ik = arg; return 1;
	case O_ITER: o->iter = arg; return 1;
	}
	return 0;
}

static int bits_opt(const char *flag, const char *arg, const unsigned *allowed, uint8_t *octets)
{
	uint64_t v;
	char list[64] = "";
	for (const unsigned *a = allowed; *a; a++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%u",
			 a == allowed ? "" : ", ", *a);
	if (sf_cli_uint(flag, arg, 0, 4096, &v))
		return SF_EXIT_USAGE;
	for (const unsigned *a = allowed; *a; a++)
		if (v == *a) {
			*octets = (uint8_t)(v / 8);
			return 0;
		}
	sf_cli_err("%s: %llu bits is not allowed here (allowed: %s)", flag, (unsigned long long)v,
		   list);
	return SF_EXIT_USAGE;
}

static const unsigned L64[] = {64, 0}, L128[] = {128, 0}, L_TMAC[] = {64, 128, 256, 0},
		      L_TRES[] = {32, 64, 128, 256, 0}, L_TCK[] = {128, 256, 0},
		      L_XRES[] = {32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128, 0};

/* Builds and prepares an AKA context from the options.  Reports the flag at
 * fault; returns 0 or SF_EXIT_USAGE. */
static int build_ctx(const struct alg_opts *o, struct sf_aka_ctx *ctx, uint8_t *opc_out,
		     size_t *opc_len)
{
	struct sf_aka_params p;
	enum sf_aka_alg alg;
	uint8_t op[32];
	size_t klen = 0;
	int rc = SF_EXIT_USAGE;

	if (!o->alg) {
		sf_cli_err("--alg is required (milenage, tuak or xor)");
		return SF_EXIT_USAGE;
	}
	if (sf_aka_alg_parse(o->alg, &alg)) {
		sf_cli_err("--alg: unknown algorithm '%s' (milenage, tuak or xor)", o->alg);
		return SF_EXIT_USAGE;
	}
	sf_aka_params_init(&p, alg);
	if (!o->k) {
		sf_cli_err("--k is required");
		goto out;
	}
	if (sf_cli_hex("--k", o->k, 1, p.k, alg == SF_AKA_ALG_TUAK ? 32 : 16,
		       alg == SF_AKA_ALG_TUAK ? 0 : 16, &klen))
		goto out;
	if (klen != 16 && klen != 32) {
		sf_cli_err("--k: expected 32 or 64 hex digits");
		goto out;
	}
	p.k_len = (uint8_t)klen;

	int nvariant = !!o->op + !!o->opc + !!o->top + !!o->topc;
	if (alg == SF_AKA_ALG_XOR) {
		const char *bad = o->op ? "--op" : o->opc ? "--opc" : o->top ? "--top" : "--topc";
		if (nvariant) {
			sf_cli_err("%s: the XOR test algorithm has no operator variant", bad);
			goto out;
		}
	} else if (nvariant != 1) {
		sf_cli_err(alg == SF_AKA_ALG_MILENAGE ? "give exactly one of --op and --opc"
						      : "give exactly one of --top and --topc");
		goto out;
	} else if (alg == SF_AKA_ALG_MILENAGE && (o->top || o->topc)) {
		sf_cli_err("%s: TOP/TOPc belong to TUAK; Milenage takes --op or --opc",
			   o->top ? "--top" : "--topc");
		goto out;
	} else if (alg == SF_AKA_ALG_TUAK && (o->op || o->opc)) {
		sf_cli_err("%s: OP/OPc belong to Milenage; TUAK takes --top or --topc",
			   o->op ? "--op" : "--opc");
		goto out;
	}

	const int tuak = alg == SF_AKA_ALG_TUAK;
	if (o->mac && bits_opt("--mac-len", o->mac, tuak ? L_TMAC : L64, &p.mac_len))
		goto out;
	if (o->res && bits_opt("--res-len", o->res,
			       tuak ? L_TRES : alg == SF_AKA_ALG_XOR ? L_XRES : L64, &p.res_len))
		goto out;
	if (o->ck && bits_opt("--ck-len", o->ck, tuak ? L_TCK : L128, &p.ck_len))
		goto out;
	if (o->ik && bits_opt("--ik-len", o->ik, tuak ? L_TCK : L128, &p.ik_len))
		goto out;
	if (o->iter) {
		uint64_t it;
		if (!tuak) {
			sf_cli_err("--iterations: only TUAK has Keccak iterations");
			goto out;
		}
		if (sf_cli_uint("--iterations", o->iter, 1, 65535, &it))
			goto out;
		p.keccak_iterations = (uint16_t)it;
	}

	if (o->opc || o->topc) {
		const char *flag = o->opc ? "--opc" : "--topc";
		if (sf_cli_hex(flag, o->opc ? o->opc : o->topc, 1, p.opc, tuak ? 32 : 16,
			       tuak ? 32 : 16, NULL))
			goto out;
	} else if (o->op || o->top) {
		const char *flag = o->op ? "--op" : "--top";
		if (sf_cli_hex(flag, o->op ? o->op : o->top, 1, op, tuak ? 32 : 16, tuak ? 32 : 16,
			       NULL))
			goto out;
		int e = sf_aka_params_set_op(&p, op, tuak ? 32 : 16);
		if (e) {
			sf_cli_err("%s: %s", flag, sf_strerror(e));
			goto out;
		}
	}
	int e = sf_aka_init(ctx, &p);
	if (e) {
		sf_cli_err("--alg %s: %s", o->alg, sf_strerror(e));
		goto out;
	}
	if (opc_out) {
		memcpy(opc_out, p.opc, p.opc_len);
		*opc_len = p.opc_len;
	}
	rc = 0;
out:
	sf_aka_params_wipe(&p);
	sf_wipe(op, sizeof(op));
	return rc;
}

static int help_or_bad(int c, const char *usage)
{
	if (c == O_HELP) {
		fputs(usage, stdout);
		return SF_EXIT_OK;
	}
	sf_cli_err("bad option (see --help)");
	return SF_EXIT_USAGE;
}

static int no_extra_args(int argc, char **argv)
{
	if (optind < argc) {
		sf_cli_err("unexpected argument '%s' (see --help)", argv[optind]);
		return SF_EXIT_USAGE;
	}
	return 0;
}

/* ---- gen ------------------------------------------------------------------ */

static const char gen_usage[] =
	"Usage: simfleet aka gen --alg ALG --k HEX (--op|--opc|--top|--topc HEX) --sqn HEX12\n"
	"                        --amf HEX4 [--rand HEX32] [--snn NAME] [length flags]\n"
	"\n"
	"Computes one authentication vector as the AuC does and prints every value as\n"
	"lowercase hex: rand, opc|topc, mac_a, mac_s (raw f1* with this AMF), res, ck, ik,\n"
	"ak, ak_star, autn (SQN^AK || AMF || MAC-A), sres and kc (where c2/c3 are\n"
	"defined), and with --snn the 5G values res_star, hxres_star, kausf, ck_prime,\n"
	"ik_prime.  RAND is drawn from the system CSPRNG unless given.\n"
	"\n" ALG_HELP
	"  --sqn HEX12               sequence number (12 hex digits)\n"
	"  --amf HEX4                authentication management field (4 hex digits)\n"
	"  --rand HEX32              the challenge (default: random)\n"
	"  --snn NAME                serving network name, e.g. 5G:mnc001.mcc001.3gppnetwork.org\n";

static int cmd_gen(int argc, char **argv)
{
	static const struct option opts[] = {ALG_OPTIONS,
					     {"sqn", required_argument, 0, O_SQN},
					     {"amf", required_argument, 0, O_AMF},
					     {"rand", required_argument, 0, O_RAND},
					     {"snn", required_argument, 0, O_SNN},
					     {0, 0, 0, 0}};
	struct alg_opts o = {0};
	const char *sqn_s = NULL, *amf_s = NULL, *rand_s = NULL, *snn = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (take_alg_opt(&o, c, optarg))
			continue;
		switch (c) {
		case O_SQN: sqn_s = optarg; break;
		case O_AMF: amf_s = optarg; break;
		case O_RAND: rand_s = optarg; break;
		case O_SNN: snn = optarg; break;
		default: return help_or_bad(c, gen_usage);
		}
	}
	if (no_extra_args(argc, argv))
		return SF_EXIT_USAGE;

	struct sf_aka_ctx ctx;
	struct sf_aka_vector v;
	uint8_t opc[32], sqn[6], amf[2], rand[16], mac_s[32], ak_star[6];
	size_t opc_len = 0;
	int rc = SF_EXIT_USAGE;
	memset(&ctx, 0, sizeof(ctx));
	memset(&v, 0, sizeof(v));

	if (build_ctx(&o, &ctx, opc, &opc_len))
		goto out;
	if (!sqn_s || !amf_s) {
		sf_cli_err("%s is required", !sqn_s ? "--sqn" : "--amf");
		goto out;
	}
	if (sf_cli_hex("--sqn", sqn_s, 0, sqn, 6, 6, NULL) ||
	    sf_cli_hex("--amf", amf_s, 0, amf, 2, 2, NULL))
		goto out;
	if (rand_s) {
		if (sf_cli_hex("--rand", rand_s, 0, rand, 16, 16, NULL))
			goto out;
	} else if (sf_rng_fill(sf_rng_system(), rand, 16)) {
		sf_cli_err("cannot draw RAND from the system random number generator");
		rc = SF_EXIT_FAIL;
		goto out;
	}
	if (snn && (strlen(snn) == 0 || strlen(snn) > SF_SNN_MAX_LEN)) {
		sf_cli_err("--snn: expected a serving network name of 1 to %d characters",
			   SF_SNN_MAX_LEN);
		goto out;
	}
	rc = SF_EXIT_FAIL;
	if (sf_aka_vector_compute(&ctx, rand, sqn, amf, &v) ||
	    sf_aka_f1(&ctx, rand, sqn, amf, NULL, mac_s) || sf_aka_f5star(&ctx, rand, ak_star)) {
		sf_cli_err("vector computation failed");
		goto out;
	}

	json_t *j = json_object();
	sf_cli_json_hex(j, "rand", rand, 16);
	if (opc_len)
		sf_cli_json_hex(j, ctx.p.alg == SF_AKA_ALG_TUAK ? "topc" : "opc", opc, opc_len);
	sf_cli_json_hex(j, "mac_a", v.autn + 8, ctx.p.mac_len);
	sf_cli_json_hex(j, "mac_s", mac_s, ctx.p.mac_len);
	sf_cli_json_hex(j, "res", v.xres, v.xres_len);
	sf_cli_json_hex(j, "ck", v.ck, v.ck_len);
	sf_cli_json_hex(j, "ik", v.ik, v.ik_len);
	sf_cli_json_hex(j, "ak", v.ak, 6);
	sf_cli_json_hex(j, "ak_star", ak_star, 6);
	sf_cli_json_hex(j, "autn", v.autn, v.autn_len);
	uint8_t sres[4], kc[8];
	if (sf_aka_gsm(&ctx, rand, sres, kc) == 0) {
		sf_cli_json_hex(j, "sres", sres, 4);
		sf_cli_json_hex(j, "kc", kc, 8);
	}
	sf_wipe(kc, sizeof(kc));
	if (snn) {
		const uint8_t *s = (const uint8_t *)snn;
		size_t sl = strlen(snn);
		uint8_t res_star[16], hx[16], kausf[32], ckp[16], ikp[16];
		if (sf_kdf_res_star(v.ck, v.ck_len, v.ik, v.ik_len, s, sl, rand, v.xres, v.xres_len,
				    res_star) == 0) {
			sf_kdf_hxres_star(rand, res_star, hx);
			sf_cli_json_hex(j, "res_star", res_star, 16);
			sf_cli_json_hex(j, "hxres_star", hx, 16);
		}
		if (sf_kdf_kausf(v.ck, v.ck_len, v.ik, v.ik_len, s, sl, v.autn, kausf) == 0)
			sf_cli_json_hex(j, "kausf", kausf, 32);
		if (sf_kdf_ck_ik_prime(v.ck, v.ck_len, v.ik, v.ik_len, s, sl, v.autn, ckp, ikp) ==
		    0) {
			sf_cli_json_hex(j, "ck_prime", ckp, 16);
			sf_cli_json_hex(j, "ik_prime", ikp, 16);
		}
		sf_wipe(res_star, sizeof(res_star));
		sf_wipe(kausf, sizeof(kausf));
		sf_wipe(ckp, sizeof(ckp));
		sf_wipe(ikp, sizeof(ikp));
	}
	rc = sf_cli_print(j);
out:
	sf_aka_free(&ctx);
	sf_wipe(&v, sizeof(v));
	sf_wipe(opc, sizeof(opc));
	sf_wipe(mac_s, sizeof(mac_s));
	sf_wipe(ak_star, sizeof(ak_star));
	return rc;
}

/* ---- usim ----------------------------------------------------------------- */

static const char usim_usage[] =
	"Usage: simfleet aka usim --alg ALG --k HEX (--op|--opc|--top|--topc HEX)\n"
	"                         --rand HEX32 --autn HEX [--sqn-ms HEX12] [--ind-bits N]\n"
	"                         [--delta N] [--age-limit N] [length flags]\n"
	"\n"
	"Runs the USIM's side of AKA once (TS 33.102 §6.3.3), as a USIM whose SEQ array\n"
	"holds SEQ(sqn-ms) in every IND slot.  Prints {\"result\":\"ok\",\"res\",\"ck\",\"ik\",\n"
	"\"kc\",\"sqn\"}, {\"result\":\"mac_failure\"} or {\"result\":\"sync_failure\",\"auts\"}.\n"
	"\n" ALG_HELP
	"  --rand HEX32, --autn HEX  the challenge and its authentication token\n"
	"  --sqn-ms HEX12            highest SQN the USIM has accepted (default 0)\n"
	"  --ind-bits N              length of IND in bits, 0..8 (default 5)\n"
	"  --delta N                 Δ, the largest accepted jump of SEQ (default 2^28)\n"
	"  --age-limit N             L, the age limit on SEQ (default: not checked)\n";

static int cmd_usim(int argc, char **argv)
{
	static const struct option opts[] = {ALG_OPTIONS,
					     {"rand", required_argument, 0, O_RAND},
					     {"autn", required_argument, 0, O_AUTN},
					     {"sqn-ms", required_argument, 0, O_SQN_MS},
					     {"ind-bits", required_argument, 0, O_IND},
					     {"delta", required_argument, 0, O_DELTA},
					     {"age-limit", required_argument, 0, O_AGE},
					     {0, 0, 0, 0}};
	struct alg_opts o = {0};
	const char *rand_s = NULL, *autn_s = NULL, *sqn_ms_s = NULL, *ind_s = NULL,
		   *delta_s = NULL, *age_s = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (take_alg_opt(&o, c, optarg))
			continue;
		switch (c) {
		case O_RAND: rand_s = optarg; break;
		case O_AUTN: autn_s = optarg; break;
		case O_SQN_MS: sqn_ms_s = optarg; break;
		case O_IND: ind_s = optarg; break;
		case O_DELTA: delta_s = optarg; break;
		case O_AGE: age_s = optarg; break;
		default: return help_or_bad(c, usim_usage);
		}
	}
	if (no_extra_args(argc, argv))
		return SF_EXIT_USAGE;

	struct sf_aka_ctx ctx;
	struct sf_sqn_ms ms;
	struct sf_aka_usim_result r;
	uint8_t rand[16], autn[SF_AKA_MAX_AUTN_LEN], sqn_ms[6] = {0};
	uint64_t ind_bits = SF_SQN_IND_BITS_DEFAULT, delta = SF_SQN_DELTA_DEFAULT, age = 0;
	int rc = SF_EXIT_USAGE;
	memset(&ctx, 0, sizeof(ctx));
	memset(&r, 0, sizeof(r));

	if (build_ctx(&o, &ctx, NULL, NULL))
		goto out;
	if (!rand_s || !autn_s) {
		sf_cli_err("%s is required", !rand_s ? "--rand" : "--autn");
		goto out;
	}
	size_t autn_len = 8u + ctx.p.mac_len;
	if (sf_cli_hex("--rand", rand_s, 0, rand, 16, 16, NULL) ||
	    sf_cli_hex("--autn", autn_s, 0, autn, sizeof(autn), autn_len, NULL))
		goto out;
	if (sqn_ms_s && sf_cli_hex("--sqn-ms", sqn_ms_s, 0, sqn_ms, 6, 6, NULL))
		goto out;
	if (ind_s && sf_cli_uint("--ind-bits", ind_s, 0, SF_SQN_IND_BITS_MAX, &ind_bits))
		goto out;
	if (delta_s && sf_cli_uint("--delta", delta_s, 1, SF_AKA_SQN_MAX, &delta))
		goto out;
	if (age_s && sf_cli_uint("--age-limit", age_s, 1, SF_AKA_SQN_MAX, &age))
		goto out;
	sf_sqn_ms_init(&ms, (unsigned)ind_bits, delta, age);
	sf_sqn_ms_set_all(&ms, sf_sqn_load(sqn_ms));

	int e = sf_aka_usim_authenticate(&ctx, &ms, rand, autn, autn_len, &r);
	json_t *j = json_object();
	if (e == 0) {
		json_object_set_new(j, "result", json_string("ok"));
		sf_cli_json_hex(j, "res", r.res, r.res_len);
		sf_cli_json_hex(j, "ck", r.ck, r.ck_len);
		sf_cli_json_hex(j, "ik", r.ik, r.ik_len);
		if (r.has_kc)
			sf_cli_json_hex(j, "kc", r.kc, 8);
		sf_cli_json_hex(j, "sqn", r.sqn, 6);
	} else if (e == SF_EAKA_MAC) {
		json_object_set_new(j, "result", json_string("mac_failure"));
	} else if (e == SF_EAKA_SYNC) {
		json_object_set_new(j, "result", json_string("sync_failure"));
		sf_cli_json_hex(j, "auts", r.auts, SF_AKA_AUTS_LEN);
	} else {
		json_decref(j);
		sf_cli_err("USIM check failed: %s", sf_strerror(e));
		rc = SF_EXIT_FAIL;
		goto out;
	}
	rc = sf_cli_print(j);
out:
	sf_aka_free(&ctx);
	sf_wipe(&r, sizeof(r));
	return rc;
}

/* ---- resync --------------------------------------------------------------- */

static const char resync_usage[] =
	"Usage: simfleet aka resync --alg ALG --k HEX (--op|--opc|--top|--topc HEX)\n"
	"                           --rand HEX32 --auts HEX28 [length flags]\n"
	"\n"
	"The AuC's side of resynchronisation (TS 33.102 §6.3.5): recovers SQN_MS from\n"
	"AUTS with f5* and verifies MAC-S (f1* with AMF 0000).  Prints\n"
	"{\"result\":\"ok\",\"sqn_ms\":HEX12} or {\"result\":\"mac_s_failure\"}.\n"
	"\n" ALG_HELP
	"  --rand HEX32              the RAND of the challenge the USIM refused\n"
	"  --auts HEX28              the AUTS it returned\n";

static int cmd_resync(int argc, char **argv)
{
	static const struct option opts[] = {ALG_OPTIONS,
					     {"rand", required_argument, 0, O_RAND},
					     {"auts", required_argument, 0, O_AUTS},
					     {0, 0, 0, 0}};
	struct alg_opts o = {0};
	const char *rand_s = NULL, *auts_s = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (take_alg_opt(&o, c, optarg))
			continue;
		switch (c) {
		case O_RAND: rand_s = optarg; break;
		case O_AUTS: auts_s = optarg; break;
		default: return help_or_bad(c, resync_usage);
		}
	}
	if (no_extra_args(argc, argv))
		return SF_EXIT_USAGE;
	struct sf_aka_ctx ctx;
	uint8_t rand[16], auts[14];
	int rc = SF_EXIT_USAGE;
	memset(&ctx, 0, sizeof(ctx));
	if (build_ctx(&o, &ctx, NULL, NULL))
		goto out;
	if (!rand_s || !auts_s) {
		sf_cli_err("%s is required", !rand_s ? "--rand" : "--auts");
		goto out;
	}
	if (sf_cli_hex("--rand", rand_s, 0, rand, 16, 16, NULL) ||
	    sf_cli_hex("--auts", auts_s, 0, auts, 14, 14, NULL))
		goto out;
	uint64_t sqn_ms = 0;
	int e = sf_aka_auts_verify(&ctx, rand, auts, &sqn_ms);
	json_t *j = json_object();
	if (e == 0) {
		uint8_t s[6];
		sf_sqn_store(s, sqn_ms);
		json_object_set_new(j, "result", json_string("ok"));
		sf_cli_json_hex(j, "sqn_ms", s, 6);
	} else if (e == SF_EAKA_MACS) {
		json_object_set_new(j, "result", json_string("mac_s_failure"));
	} else {
		json_decref(j);
		sf_cli_err("resynchronisation failed: %s", sf_strerror(e));
		rc = SF_EXIT_FAIL;
		goto out;
	}
	rc = sf_cli_print(j);
out:
	sf_aka_free(&ctx);
	return rc;
}

int sf_cmd_aka_kdf(int argc, char **argv);

static const struct sf_cli_cmd aka_cmds[] = {
	{"gen", cmd_gen, "compute an authentication vector (AuC side)"},
	{"usim", cmd_usim, "check RAND/AUTN as the USIM does; RES/CK/IK or AUTS"},
	{"resync", cmd_resync, "verify AUTS and recover SQN_MS (AuC side)"},
	{"kdf", sf_cmd_aka_kdf, "EPS/5G key derivations (K_ASME, K_AUSF, RES*, ...)"},
	{NULL, NULL, NULL},
};

int sf_cmd_aka(int argc, char **argv)
{
	return sf_cli_dispatch("aka", aka_cmds, argc, argv,
			       "Usage: simfleet aka COMMAND [FLAGS...]\n\n"
			       "The AKA engine: Milenage (TS 35.206), TUAK (TS 35.231), the XOR\n"
			       "test algorithm (TS 34.108), SQN management (TS 33.102 Annex C)\n"
			       "and the EPS/5G key derivations (TS 33.401, 33.402, 33.501).\n");
}
