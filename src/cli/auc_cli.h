/* Pieces shared by the AuC commands (cmd_auc_db.c: the offline commands,
 * cmd_auc_serve.c: the HTTPS API), defined in cmd_auc_db.c. */
#ifndef SF_AUC_CLI_H
#define SF_AUC_CLI_H

#include <jansson.h>

#include "simfleet/auc.h"

/* A string member of a JSON object, or NULL. */
const char *sf__auc_jstr(json_t *o, const char *key);
/* One subscriber object of the JSON import format into u: NULL, or a
 * message with *col naming the field at fault. */
const char *sf__auc_json_sub(struct sf_auc_sub *u, json_t *r, const char **col);
/* The `auc import` CSV (header imsi,iccid,alg,k,opc) in buf (NUL-terminated,
 * modified): 0 with *v (malloc'd, wipe n entries and free) and *n, or an
 * exit status with the refusal's sentence (line and column) in err. */
int sf__auc_csv_subs(char *buf, struct sf_auc_sub **v, size_t *n, char *err, size_t errlen);
/* Appends one vector of request q to arr, in the output format of
 * `auc vectors` (by type: 3G, GSM, EPS, 5G). */
void sf__auc_vec_json(json_t *arr, const struct sf_auc_req *q, const struct sf_auc_vec *o);
/* "MCC-MNC" into its parts; 0, or -1 when malformed. */
int sf__auc_split_plmn(const char *s, char mcc[4], char mnc[4]);

#endif
