/* Internal to the crypto module (and the PKI code that lives beside it):
 * access to the OpenSSL object behind an sf_ec_key. */
#ifndef SF_CRYPTO_INTERNAL_H
#define SF_CRYPTO_INTERNAL_H

#include <openssl/evp.h>

#include "simfleet/crypto.h"

/* The key's EVP_PKEY, still owned by key (do not free). */
EVP_PKEY *sf__ec_key_pkey(const struct sf_ec_key *key);

/* Wraps pkey (ownership passes to *out, also on failure, when pkey is freed):
 * checks it is an EC key on a supported curve, and has a private part when
 * need_private.  Returns 0, SF_ECRYPTO_KEY, SF_ECRYPTO_CURVE, SF_ECRYPTO_POINT
 * or SF_ENOMEM. */
int sf__ec_key_wrap(EVP_PKEY *pkey, int need_private, struct sf_ec_key **out);

/* A new sf_ec_key sharing key's EVP_PKEY (a reference; no copy, no check:
 * key was checked when it was made).  Returns 0, SF_EINVAL, SF_ENOMEM or
 * SF_ECRYPTO_BACKEND. */
int sf__ec_key_ref(const struct sf_ec_key *key, struct sf_ec_key **out);

#endif
