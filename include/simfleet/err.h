/*
 * simfleet error codes.
 *
 * Every simfleet function that can fail returns int: 0 on success, a negative
 * SF_E* code on failure.  The codes come from one X-macro table, which also
 * generates sf_strerror() and sf_err_name().  Each subsystem owns a range:
 *   -1 ..  -99  generic
 * -100 .. -199  AKA engine
 * -200 .. -299  DER codec
 * -300 .. -399  card / eUICC
 * -400 .. -499  storage
 * -500 .. -599  protocol
 * -600 .. -699  transport
 */
#ifndef SIMFLEET_ERR_H
#define SIMFLEET_ERR_H

#define SF_ERRNO_MAP(X)                                                                  \
	X(EINVAL, -1, "invalid argument")                                                    \
	X(ENOMEM, -2, "out of memory")                                                       \
	X(EBUFSIZE, -3, "output buffer too small")                                           \
	X(EINTERNAL, -4, "internal error")                                                   \
	X(EIO, -5, "input/output error")                                                     \
	X(ENOTSUP, -6, "operation not supported")                                            \
	X(ERANGE, -7, "value out of range")                                                  \
	X(EHEX, -8, "malformed hexadecimal string")                                          \
	X(EBASE64, -9, "malformed base64 string")                                            \
	X(ERNG, -10, "random number generator failed")                                       \
	X(ELEN, -11, "input has the wrong length")                                           \
	X(EAKA_MAC, -100, "MAC failure: AUTN was not made with this subscriber's key")       \
	X(EAKA_SYNC, -101, "synchronisation failure: SQN is not fresh")                      \
	X(EAKA_MACS, -102, "resynchronisation refused: MAC-S in AUTS does not verify")       \
	X(EAKA_ALG, -103, "unknown or unsupported AKA algorithm")                            \
	X(EAKA_LEN, -104, "length not allowed for this AKA algorithm")                       \
	X(EAKA_SQN, -105, "SQN out of range")                                                \
	X(EAKA_NOKEY, -106, "AKA context has no key: initialise it first")                   \
	X(EAKA_GSM, -107, "GSM conversion not defined for these lengths")

enum sf_err {
	SF_OK = 0,
#define SF__ERR_ENUM(name, code, text) SF_##name = (code),
	SF_ERRNO_MAP(SF__ERR_ENUM)
#undef SF__ERR_ENUM
};

/* Human-readable text for an error code; never NULL ("unknown error" for a code
 * that is not in the table). */
const char *sf_strerror(int err);

/* Symbolic name without the SF_ prefix ("EAKA_MAC"); "UNKNOWN" for an unknown code. */
const char *sf_err_name(int err);

#endif
