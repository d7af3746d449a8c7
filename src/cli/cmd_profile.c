/*
 * simfleet profile: SAIP profile packages (SIMalliance/TCA eUICC Profile
 * Package: Interoperable Format Technical Specification v3.3.1,
 * PEDefinitions) on the command line.
 *   build   a minimal complete USIM profile package from parameters
 *   show    every element of a package as JSON (ours or anybody's, e.g. the
 *           GSMA TS.48 test profiles)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "simfleet/der.h"
#include "simfleet/err.h"
#include "simfleet/saip.h"
#include "simfleet/util.h"

int sf_cmd_profile(int argc, char **argv);

#define MAX_PACKAGE (1u << 20) /* 1 MiB: real packages are 10-100 KiB */

/* ---- build ------------------------------------------------------------------ */

enum { O_ICCID = 256, O_IMSI, O_ALG, O_K, O_OPC, O_TOPC, O_SPN, O_PIN1, O_PUK1, O_ADM1, O_MNC,
       O_OUT, O_HELP };

static const char build_usage[] =
	"Usage: simfleet profile build --iccid ICCID --imsi IMSI --alg milenage|tuak|xor\n"
	"                              --k HEX (--opc HEX | --topc HEX) [--spn NAME]\n"
	"                              [--pin1 DIGITS] [--puk1 DIGITS] [--adm1 HEX]\n"
	"                              [--mnc-len 2|3] -o FILE\n"
	"\n"
	"Writes a minimal complete SAIP (PEDefinitions 3.3.1, header version 2.3) USIM\n"
	"profile package: header, mf (EF.ICCID, EF.DIR, EF.ARR), pukCodes, pinCodes,\n"
	"usim (EF.IMSI, EF.ARR, EF.KEYS, EF.UST, EF.SPN, EF.EST, EF.ACC, EF.AD, EF.ECC),\n"
	"akaParameter and end.  FILE is created with mode 0600: it holds K.\n"
	"Prints a JSON summary (no secrets).\n"
	"\n"
	"  --iccid ICCID     18-20 digits, the last its Luhn check digit\n"
	"  --imsi IMSI       5-15 digits\n"
	"  --alg ALG         milenage, tuak or xor (the 3GPP TS 34.108 test algorithm)\n"
	"  --k HEX           K: 32 hex digits (tuak: 32 or 64)\n"
	"  --opc HEX         Milenage OPc (32 hex digits); optional and ignored for xor\n"
	"  --topc HEX        TUAK TOPc (64 hex digits)\n"
	"  --spn NAME        service provider name, 1-16 GSM-7 characters (default: no EF.SPN)\n"
	"  --pin1 DIGITS     PIN1, 4-8 digits, enabled (default: PIN1 0000, disabled)\n"
	"  --puk1 DIGITS     PUK1, 8 digits (default: the TEST value " SF_SAIP_TEST_PUK1 ")\n"
	"  --adm1 HEX        ADM1, 1-8 octets, FF-padded (default: the TEST value ASCII\n"
	"                    \"" SF_SAIP_TEST_ADM1 "\"; never ship a profile with it)\n"
	"  --mnc-len N       MNC length in EF.AD, 2 (default) or 3\n"
	"  -o FILE           the package (DER)\n"
	"Secrets (--k, --opc, --topc, --adm1) may be given as @FILE or - (stdin).\n";

static int bad(const char *flag, const char *what)
{
	sf_cli_err("%s: %s", flag, what);
	return SF_EXIT_USAGE;
}

static int write_file(const char *path, const uint8_t *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		sf_cli_err("-o %s: %s", path, strerror(errno));
		return SF_EXIT_FAIL;
	}
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, b + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			sf_cli_err("-o %s: %s", path, strerror(errno));
			close(fd);
			return SF_EXIT_FAIL;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0) {
		sf_cli_err("-o %s: %s", path, strerror(errno));
		return SF_EXIT_FAIL;
	}
	return 0;
}

static int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{"iccid", required_argument, 0, O_ICCID}, {"imsi", required_argument, 0, O_IMSI},
		{"alg", required_argument, 0, O_ALG},     {"k", required_argument, 0, O_K},
		{"opc", required_argument, 0, O_OPC},     {"topc", required_argument, 0, O_TOPC},
		{"spn", required_argument, 0, O_SPN},     {"pin1", required_argument, 0, O_PIN1},
		{"puk1", required_argument, 0, O_PUK1},   {"adm1", required_argument, 0, O_ADM1},
		{"mnc-len", required_argument, 0, O_MNC}, {"out", required_argument, 0, O_OUT},
		{"help", no_argument, 0, O_HELP},         {0, 0, 0, 0},
	};
	const char *iccid = NULL, *imsi = NULL, *alg_s = NULL, *k_s = NULL, *opc_s = NULL,
		   *topc_s = NULL, *spn = NULL, *pin1 = NULL, *puk1 = NULL, *adm1_s = NULL,
		   *mnc_s = NULL, *out = NULL;
	struct sf_saip_build_params p;
	struct sf_saip_error e;
	uint8_t k[32], opc[32], adm1[8], *pkg = NULL;
	size_t k_len = 0, opc_len = 0, adm1_len = 0, n = 0;
	int c, rc = SF_EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case O_ICCID: iccid = optarg; break;
		case O_IMSI: imsi = optarg; break;
		case O_ALG: alg_s = optarg; break;
		case O_K: k_s = optarg; break;
		case O_OPC: opc_s = optarg; break;
		case O_TOPC: topc_s = optarg; break;
		case O_SPN: spn = optarg; break;
		case O_PIN1: pin1 = optarg; break;
		case O_PUK1: puk1 = optarg; break;
		case O_ADM1: adm1_s = optarg; break;
		case O_MNC: mnc_s = optarg; break;
		case 'o':
		case O_OUT: out = optarg; break;
		case O_HELP: fputs(build_usage, stdout); return SF_EXIT_OK;
		default: sf_cli_err("bad option (see --help)"); return SF_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		sf_cli_err("unexpected argument '%s' (see --help)", argv[optind]);
		return SF_EXIT_USAGE;
	}
	memset(&p, 0, sizeof(p));
	if (!iccid)
		return bad("--iccid", "missing (18-20 digits with a Luhn check digit)");
	if (sf_iccid_check(iccid))
		return bad("--iccid", "must be 18 to 20 digits ending in its Luhn check digit");
	if (!imsi)
		return bad("--imsi", "missing (5-15 digits)");
	if (!alg_s)
		return bad("--alg", "missing: milenage, tuak or xor");
	if (strcmp(alg_s, "milenage") == 0)
		p.algorithm = SF_SAIP_ALG_MILENAGE;
	else if (strcmp(alg_s, "tuak") == 0)
		p.algorithm = SF_SAIP_ALG_TUAK;
	else if (strcmp(alg_s, "xor") == 0)
		p.algorithm = SF_SAIP_ALG_TEST;
	else
		return bad("--alg", "must be milenage, tuak or xor");
	if (!k_s)
		return bad("--k", "missing");
	if (!out)
		return bad("-o", "missing: the output file");
	if (p.algorithm == SF_SAIP_ALG_TUAK && opc_s)
		return bad("--opc", "is for milenage: give TUAK's --topc");
	if (p.algorithm != SF_SAIP_ALG_TUAK && topc_s)
		return bad("--topc", "is for tuak: give --opc");
	if (p.algorithm == SF_SAIP_ALG_MILENAGE && !opc_s)
		return bad("--opc", "missing (32 hex digits)");
	if (p.algorithm == SF_SAIP_ALG_TUAK && !topc_s)
		return bad("--topc", "missing (64 hex digits)");

	if (sf_cli_hex("--k", k_s, 1, k, p.algorithm == SF_SAIP_ALG_TUAK ? 32 : 16, 0, &k_len))
		goto out;
	if (k_len != 16 && !(p.algorithm == SF_SAIP_ALG_TUAK && k_len == 32)) {
		rc = bad("--k", p.algorithm == SF_SAIP_ALG_TUAK ? "must be 32 or 64 hex digits"
							      : "must be 32 hex digits");
		goto out;
	}
	if (opc_s && sf_cli_hex("--opc", opc_s, 1, opc, 16, 16, &opc_len))
		goto out;
	if (topc_s && sf_cli_hex("--topc", topc_s, 1, opc, 32, 32, &opc_len))
		goto out;
	if (adm1_s && sf_cli_hex("--adm1", adm1_s, 1, adm1, 8, 0, &adm1_len))
		goto out;
	if (adm1_s && adm1_len == 0) {
		rc = bad("--adm1", "must be 1 to 8 octets");
		goto out;
	}
	if (mnc_s) {
		uint64_t v;
		if (sf_cli_uint("--mnc-len", mnc_s, 2, 3, &v))
			goto out;
		p.mnc_len = (unsigned)v;
	}
	p.iccid = iccid;
	p.imsi = imsi;
	p.k = k;
	p.k_len = k_len;
	p.opc = (opc_s || topc_s) ? opc : NULL;
	p.opc_len = opc_len;
	p.spn = spn;
	p.pin1 = pin1;
	p.puk1 = puk1;
	p.adm1 = adm1_s ? adm1 : NULL;
	p.adm1_len = adm1_len;

	int brc = sf_saip_build(&p, NULL, 0, &n, &e);
	if (brc == SF_EBUFSIZE) {
		pkg = malloc(n);
		if (!pkg) {
			sf_cli_err("out of memory");
			rc = SF_EXIT_FAIL;
			goto out;
		}
		brc = sf_saip_build(&p, pkg, n, &n, &e);
	}
	if (brc) {
		/* Map the parameter the builder names back to its flag. */
		const char *f = e.field ? e.field : "";
		const char *flag = strcmp(f, "iccid") == 0  ? "--iccid"
				   : strcmp(f, "imsi") == 0  ? "--imsi"
				   : strcmp(f, "k") == 0     ? "--k"
				   : strcmp(f, "opc") == 0   ? (topc_s ? "--topc" : "--opc")
				   : strcmp(f, "spn") == 0   ? "--spn"
				   : strcmp(f, "pin1") == 0  ? "--pin1"
				   : strcmp(f, "puk1") == 0  ? "--puk1"
				   : strcmp(f, "adm1") == 0  ? "--adm1"
				   : strcmp(f, "mnc_len") == 0 ? "--mnc-len"
				   : strcmp(f, "algorithm") == 0 ? "--alg"
								 : NULL;
		if (flag) {
			rc = bad(flag, e.detail ? e.detail : sf_strerror(brc));
		} else {
			sf_cli_err("building the profile: %s", sf_strerror(brc));
			rc = SF_EXIT_FAIL;
		}
		goto out;
	}
	if ((rc = write_file(out, pkg, n)) != 0)
		goto out;
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(out));
	json_object_set_new(o, "size", json_integer((json_int_t)n));
	json_object_set_new(o, "iccid", json_string(iccid));
	json_object_set_new(o, "imsi", json_string(imsi));
	json_object_set_new(o, "algorithm", json_string(sf_saip_alg_name(p.algorithm)));
	json_object_set_new(o, "spn", spn ? json_string(spn) : json_null());
	json_object_set_new(o, "pin1_enabled", json_boolean(pin1 != NULL));
	json_object_set_new(o, "test_adm1", json_boolean(adm1_s == NULL));
	json_object_set_new(o, "test_puk1", json_boolean(puk1 == NULL));
	rc = sf_cli_print(o);
out:
	sf_wipe(k, sizeof(k));
	sf_wipe(opc, sizeof(opc));
	sf_wipe(adm1, sizeof(adm1));
	if (pkg) {
		sf_wipe(pkg, n);
		free(pkg);
	}
	return rc;
}

/* ---- show ------------------------------------------------------------------- */

static const char show_usage[] =
	"Usage: simfleet profile show FILE\n"
	"\n"
	"Parses a SAIP profile package (DER; FILE may be - for stdin), checking every\n"
	"element strictly against PEDefinitions 3.3.1, and prints all of them as JSON:\n"
	"{\"elements\":[{\"type\":\"header\",\"iccid\":...},{\"type\":\"usim\",\"files\":[...]},...]}.\n"
	"\n"
	"This is a local debugging tool: it prints the SECRETS in the package as they\n"
	"are (K, OPc, PINs, PUKs, ADM keys, security domain keys).  Do not run it where\n"
	"its output is logged or shared.  A package that does not parse gives one line\n"
	"on stderr naming the element and field, and exit status 1.\n";

static json_t *hexj(const uint8_t *b, size_t n)
{
	json_t *t = json_object();
	sf_cli_json_hex(t, "h", b, n);
	json_t *s = json_incref(json_object_get(t, "h"));
	json_decref(t);
	return s;
}

static void set_hex(json_t *o, const char *key, const struct sf_saip_bytes *b)
{
	if (b->present)
		sf_cli_json_hex(o, key, b->p, b->len);
}

static json_t *oid_json(const uint8_t *oid, size_t len)
{
	char s[128];
	if (sf_der_oid_to_str(s, sizeof(s), NULL, oid, len) != 0)
		return hexj(oid, len);
	return json_string(s);
}

static json_t *fcp_json(const struct sf_saip_fcp *f)
{
	json_t *o = json_object();
	set_hex(o, "fileDescriptor", &f->file_descriptor);
	set_hex(o, "fid", &f->file_id);
	set_hex(o, "dfName", &f->df_name);
	sf_cli_json_hex(o, "lcsi", &f->lcsi, 1);
	set_hex(o, "securityAttributesReferenced", &f->sec_attr);
	set_hex(o, "efFileSize", &f->ef_file_size);
	set_hex(o, "pinStatusTemplateDO", &f->pin_status_template);
	set_hex(o, "shortEFID", &f->short_efid);
	set_hex(o, "linkPath", &f->link_path);
	if (f->has_proprietary) {
		json_t *p = json_object();
		sf_cli_json_hex(p, "specialFileInformation", &f->special_file_info, 1);
		set_hex(p, "fillPattern", &f->fill_pattern);
		set_hex(p, "repeatPattern", &f->repeat_pattern);
		set_hex(p, "maximumFileSize", &f->maximum_file_size);
		sf_cli_json_hex(p, "fileDetails", &f->file_details, 1);
		json_object_set_new(o, "proprietaryEFInfo", p);
	}
	return o;
}

/* Collects the file walk into JSON: template PEs give one object per File
 * field, genericFileManagement one array of items per command. */
struct files_ctx {
	json_t *files; /* array */
	json_t *cur;   /* current file object or command array */
	json_t *fill;  /* fill items of the current file */
	unsigned ncontent, noffset;
};

static void flush_fill(struct files_ctx *c)
{
	if (!c->cur || !c->fill)
		return;
	/* One fillFileContent and no offset: show it as "content". */
	if (c->ncontent == 1 && c->noffset == 0) {
		json_t *item = json_array_get(c->fill, 0);
		json_object_set(c->cur, "content", json_object_get(item, "content"));
	} else if (json_array_size(c->fill) > 0) {
		json_object_set(c->cur, "fill", c->fill);
	}
	json_decref(c->fill);
	c->fill = NULL;
}

static int files_cb(void *user, const struct sf_saip_file_item *it)
{
	struct files_ctx *c = user;
	json_t *x;
	switch (it->op) {
	case SF_SAIP_FILE_BEGIN:
		c->cur = json_object();
		json_object_set_new(c->cur, "name", json_string(it->file));
		json_array_append_new(c->files, c->cur);
		c->fill = json_array();
		c->ncontent = c->noffset = 0;
		break;
	case SF_SAIP_FILE_END:
		flush_fill(c);
		c->cur = NULL;
		break;
	case SF_SAIP_FILE_CMD:
		c->cur = json_array();
		json_array_append_new(c->files, c->cur);
		break;
	case SF_SAIP_FILE_DO_NOT_CREATE:
		json_object_set_new(c->cur, "doNotCreate", json_true());
		break;
	case SF_SAIP_FILE_FCP: {
		json_t *f = fcp_json(&it->fcp);
		if (json_is_array(c->cur)) {
			x = json_object();
			json_object_set_new(x, "createFCP", f);
			json_array_append_new(c->cur, x);
		} else {
			/* fid first-class, as an installer sees it */
			json_t *fid = json_object_get(f, "fid");
			if (fid)
				json_object_set(c->cur, "fid", fid);
			json_object_set_new(c->cur, "fcp", f);
		}
		break;
	}
	case SF_SAIP_FILE_PATH:
		x = json_object();
		sf_cli_json_hex(x, "filePath", it->data, it->len);
		json_array_append_new(c->cur, x);
		break;
	case SF_SAIP_FILE_OFFSET:
		x = json_object();
		json_object_set_new(x, json_is_array(c->cur) ? "fillFileOffset" : "offset",
				    json_integer(it->offset));
		if (json_is_array(c->cur)) {
			json_array_append_new(c->cur, x);
		} else {
			json_array_append_new(c->fill, x);
			c->noffset++;
		}
		break;
	case SF_SAIP_FILE_CONTENT:
		x = json_object();
		sf_cli_json_hex(x, json_is_array(c->cur) ? "fillFileContent" : "content", it->data,
				it->len);
		if (json_is_array(c->cur)) {
			json_array_append_new(c->cur, x);
		} else {
			json_array_append_new(c->fill, x);
			c->ncontent++;
		}
		break;
	}
	return 0;
}

static int field_cb(void *user, const char *name, const struct sf_der_tlv *t)
{
	json_t *x = json_object();
	json_object_set_new(x, "name", json_string(name));
	sf_cli_json_hex(x, "value", t->val, t->len);
	json_array_append_new((json_t *)user, x);
	return 0;
}

static int element_json(const struct sf_saip_pe *pe, json_t *o, struct sf_saip_error *e)
{
	int rc = 0;
	json_object_set_new(o, "type", json_string(pe->name));
	if (pe->type != SF_SAIP_PE_HEADER && pe->type != 11 && pe->type != 12 &&
	    pe->type != 13 && pe->type != 14 && pe->type != 15) {
		json_object_set_new(o, "identification", json_integer(pe->identification));
		json_object_set_new(o, "mandated", json_boolean(pe->mandated));
	}
	switch (pe->type) {
	case SF_SAIP_PE_HEADER: {
		struct sf_saip_header h;
		if ((rc = sf_saip_header_decode(pe, &h, e)))
			return rc;
		json_object_set_new(o, "major-version", json_integer(h.major));
		json_object_set_new(o, "minor-version", json_integer(h.minor));
		if (h.profile_type)
			json_object_set_new(o, "profileType",
					    json_stringn((const char *)h.profile_type,
							 h.profile_type_len));
		json_object_set_new(o, "iccid", json_string(h.iccid));
		if (h.pol)
			sf_cli_json_hex(o, "pol", h.pol, h.pol_len);
		json_t *s = json_array();
		for (unsigned i = 0; i < SF_SAIP_SVC_COUNT; i++)
			if (h.services & (1u << i))
				json_array_append_new(s, json_string(sf_saip_service_name(i)));
		json_object_set_new(o, "eUICC-Mandatory-services", s);
		json_t *g = json_array();
		struct sf_der_iter it;
		struct sf_der_tlv t;
		sf_der_iter_init(&it, h.gfste, h.gfste_len);
		while (sf_der_iter_next(&it, &t) > 0)
			json_array_append_new(g, oid_json(t.val, t.len));
		json_object_set_new(o, "eUICC-Mandatory-GFSTEList", g);
		if (h.connectivity)
			sf_cli_json_hex(o, "connectivityParameters", h.connectivity,
					h.connectivity_len);
		if (h.aids)
			sf_cli_json_hex(o, "eUICC-Mandatory-AIDs", h.aids, h.aids_len);
		if (h.iot_pix)
			sf_cli_json_hex(o, "iotOptions-pix", h.iot_pix, h.iot_pix_len);
		break;
	}
	case SF_SAIP_PE_AKA_PARAMETER: {
		struct sf_saip_aka a;
		if ((rc = sf_saip_aka_decode(pe, &a, e)))
			return rc;
		if (a.is_mapping) {
			sf_cli_json_hex(o, "mappingOptions", &a.mapping_options, 1);
			sf_cli_json_hex(o, "mappingSource", a.mapping_source,
					a.mapping_source_len);
		} else {
			json_object_set_new(o, "algorithm",
					    json_string(sf_saip_alg_name(a.algorithm)));
			sf_cli_json_hex(o, "algorithmOptions", &a.algorithm_options, 1);
			sf_cli_json_hex(o, "key", a.key, a.key_len);
			sf_cli_json_hex(o, "opc", a.opc, a.opc_len);
			sf_cli_json_hex(o, "rotationConstants", a.rotation_constants, 5);
			sf_cli_json_hex(o, "xoringConstants", a.xoring_constants, 80);
			if (a.has_auth_counter_max)
				sf_cli_json_hex(o, "authCounterMax", a.auth_counter_max, 3);
			json_object_set_new(o, "numberOfKeccak", json_integer(a.number_of_keccak));
		}
		sf_cli_json_hex(o, "sqnOptions", &a.sqn_options, 1);
		sf_cli_json_hex(o, "sqnDelta", a.sqn_delta, 6);
		sf_cli_json_hex(o, "sqnAgeLimit", a.sqn_age_limit, 6);
		json_t *si = json_array();
		for (int i = 0; i < 32; i++)
			json_array_append_new(si, hexj(a.sqn_init[i], 6));
		json_object_set_new(o, "sqnInit", si);
		sf_wipe(&a, sizeof(a));
		break;
	}
	case SF_SAIP_PE_PIN_CODES: {
		struct sf_saip_pins p;
		if ((rc = sf_saip_pins_decode(pe, &p, e)))
			return rc;
		if (p.is_path) {
			sf_cli_json_hex(o, "filePath", p.path, p.path_len);
			break;
		}
		json_t *arr = json_array();
		for (unsigned i = 0; i < p.count; i++) {
			json_t *x = json_object();
			json_object_set_new(x, "keyReference",
					    json_string(sf_saip_pin_ref_name(p.pin[i].key_ref)));
			sf_cli_json_hex(x, "pinValue", p.pin[i].value, 8);
			if (p.pin[i].unblock_ref >= 0)
				json_object_set_new(x, "unblockingPINReference",
						    json_string(sf_saip_puk_ref_name(
							    (unsigned)p.pin[i].unblock_ref)));
			json_object_set_new(x, "pinAttributes", json_integer(p.pin[i].attributes));
			json_object_set_new(x, "maxNumOfAttempts",
					    json_integer(p.pin[i].max_attempts));
			json_object_set_new(x, "retryNumLeft", json_integer(p.pin[i].retries_left));
			json_array_append_new(arr, x);
		}
		json_object_set_new(o, "pins", arr);
		break;
	}
	case SF_SAIP_PE_PUK_CODES: {
		struct sf_saip_puks p;
		if ((rc = sf_saip_puks_decode(pe, &p, e)))
			return rc;
		json_t *arr = json_array();
		for (unsigned i = 0; i < p.count; i++) {
			json_t *x = json_object();
			json_object_set_new(x, "keyReference",
					    json_string(sf_saip_puk_ref_name(p.puk[i].key_ref)));
			sf_cli_json_hex(x, "pukValue", p.puk[i].value, 8);
			json_object_set_new(x, "maxNumOfAttempts",
					    json_integer(p.puk[i].max_attempts));
			json_object_set_new(x, "retryNumLeft", json_integer(p.puk[i].retries_left));
			json_array_append_new(arr, x);
		}
		json_object_set_new(o, "puks", arr);
		break;
	}
	default:
		if (sf_saip_pe_is_template(pe->type) ||
		    pe->type == SF_SAIP_PE_GENERIC_FILE_MANAGEMENT) {
			struct files_ctx c = {json_array(), NULL, NULL, 0, 0};
			/* templateID: the second field of a template PE */
			if (sf_saip_pe_is_template(pe->type)) {
				struct sf_der_iter it;
				struct sf_der_tlv t;
				sf_der_iter_init(&it, pe->val, pe->len);
				if (sf_der_iter_next(&it, &t) > 0 && sf_der_iter_next(&it, &t) > 0)
					json_object_set_new(o, "template", oid_json(t.val, t.len));
			}
			rc = sf_saip_files_walk(pe, files_cb, &c, e);
			if (c.fill)
				json_decref(c.fill);
			json_object_set_new(o, pe->type == SF_SAIP_PE_GENERIC_FILE_MANAGEMENT
						       ? "commands"
						       : "files",
					    c.files);
			return rc;
		}
		/* Elements the eUICC does not act on: their fields, named. */
		json_t *f = json_array();
		rc = sf_saip_fields_walk(pe, field_cb, f);
		json_object_set_new(o, "fields", f);
		break;
	}
	return rc;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	uint8_t *b = NULL;
	size_t n = 0, cap = 0;
	if (!f) {
		sf_cli_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_PACKAGE) {
				sf_cli_err("%s: larger than %u octets: not a profile package", path,
					   MAX_PACKAGE);
				free(b);
				b = NULL;
				break;
			}
			cap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(b, cap);
			if (!nb) {
				sf_cli_err("out of memory");
				free(b);
				b = NULL;
				break;
			}
			b = nb;
		}
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				sf_cli_err("%s: read error", path);
				free(b);
				b = NULL;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return b;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, 0, O_HELP}, {0, 0, 0, 0}};
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == O_HELP) {
			fputs(show_usage, stdout);
			return SF_EXIT_OK;
		}
		sf_cli_err("bad option (see --help)");
		return SF_EXIT_USAGE;
	}
	if (argc - optind != 1) {
		sf_cli_err("FILE: give exactly one profile package (see --help)");
		return SF_EXIT_USAGE;
	}
	const char *path = argv[optind];
	size_t len = 0;
	uint8_t *pkg = read_all(path, &len);
	if (!pkg)
		return SF_EXIT_FAIL;

	struct sf_saip_reader r;
	struct sf_saip_pe pe;
	struct sf_saip_error e;
	json_t *root = json_object(), *els = json_array();
	json_object_set_new(root, "elements", els);
	sf_saip_reader_init(&r, pkg, len);
	while ((rc = sf_saip_next(&r, &pe, &e)) > 0) {
		json_t *o = json_object();
		json_array_append_new(els, o);
		if ((rc = element_json(&pe, o, &e)) != 0)
			break;
	}
	if (rc < 0) {
		char msg[256];
		sf_saip_error_format(&e, msg, sizeof(msg));
		sf_cli_err("%s: %s", path, msg);
		json_decref(root);
		sf_wipe(pkg, len);
		free(pkg);
		return SF_EXIT_FAIL;
	}
	json_object_set_new(root, "size", json_integer((json_int_t)len));
	rc = sf_cli_print(root);
	sf_wipe(pkg, len);
	free(pkg);
	return rc;
}

static const struct sf_cli_cmd profile_cmds[] = {
	{"build", cmd_build, "write a minimal USIM profile package (SAIP 3.3.1 DER)"},
	{"show", cmd_show, "print every element of a profile package as JSON (shows secrets)"},
	{NULL, NULL, NULL},
};

int sf_cmd_profile(int argc, char **argv)
{
	return sf_cli_dispatch("profile", profile_cmds, argc, argv,
			       "Usage: simfleet profile COMMAND [FLAGS...]\n\n"
			       "SAIP profile packages (SIMalliance/TCA eUICC Profile Package v3.3.1,\n"
			       "PEDefinitions): build a USIM profile, show any package as JSON.\n"
			       "`show` prints the keys in the package: a local debugging tool.\n");
}
