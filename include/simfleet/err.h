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
 * -700 .. -799  crypto / PKI
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
	X(ECRYPTO_AUTH, -12, "authentication tag does not verify: data corrupted or tampered") \
	X(ENOENT, -13, "no such item")                                                       \
	X(EEXIST, -14, "already exists")                                                     \
	X(ESTORE_LOCKED, -400, "state directory is in use by another process")              \
	X(ESTORE_FORMAT, -401, "not a simfleet state directory, or a newer format")         \
	X(ESTORE_CORRUPT, -402, "stored state fails its integrity check")                   \
	X(ESTORE_KEY, -403, "device key file missing, unreadable or not private (mode 0600)") \
	X(ESTORE_NAME, -404, "record name not allowed")                                     \
	X(ESTORE_TXN, -405, "transaction misuse: one open transaction per state directory") \
	X(ESTORE_NOTDURABLE, -406, "state changed but not confirmed durable (directory sync failed)") \
	X(EAKA_MAC, -100, "MAC failure: AUTN was not made with this subscriber's key")       \
	X(EAKA_SYNC, -101, "synchronisation failure: SQN is not fresh")                      \
	X(EAKA_MACS, -102, "resynchronisation refused: MAC-S in AUTS does not verify")       \
	X(EAKA_ALG, -103, "unknown or unsupported AKA algorithm")                            \
	X(EAKA_LEN, -104, "length not allowed for this AKA algorithm")                       \
	X(EAKA_SQN, -105, "SQN out of range")                                                \
	X(EAKA_NOKEY, -106, "AKA context has no key: initialise it first")                   \
	X(EAKA_GSM, -107, "GSM conversion not defined for these lengths")                    \
	X(EDER_TRUNC, -200, "DER: element runs past the end of the input (truncated input)") \
	X(EDER_LEN, -201, "DER: length is indefinite, over 4 octets or not in minimal form") \
	X(EDER_TAG, -202, "DER: unexpected tag (element missing or out of order)")           \
	X(EDER_TAGENC, -203, "DER: bad tag: number 0, non-minimal or over 4 octets")         \
	X(EDER_VALUE, -204, "DER: content not valid for its type (BOOLEAN, NULL, BIT STRING or OID)") \
	X(EDER_INTENC, -205, "DER: INTEGER empty or not in minimal two's complement form")  \
	X(EDER_RANGE, -206, "DER: value does not fit the requested type")                    \
	X(EDER_CHARSET, -207, "DER: string has a character its type does not allow")          \
	X(EDER_TIME, -208, "DER: time not in DER form (YYMMDDHHMMSSZ) or not a valid date")  \
	X(EDER_TRAIL, -209, "DER: unexpected data after the last element")                \
	X(ESAIP_FORMAT, -500, "SAIP: a profile element field is missing, out of order or unknown") \
	X(ESAIP_UNKNOWN_PE, -501, "SAIP: tag is not a ProfileElement of PEDefinitions 3.3.1") \
	X(ESAIP_ORDER, -502, "SAIP: profile elements out of order (header first, end last)") \
	X(ESAIP_VALUE, -503, "SAIP: value not allowed by PEDefinitions (size, range, reference)") \
	X(ESAIP_ICCID, -504, "ICCID must be 18 to 20 digits ending in its Luhn check digit") \
	X(ESAIP_IMSI, -505, "IMSI must be 5 to 15 digits")                                \
	X(ESAIP_PARAM, -506, "profile parameter not valid (see the message for which)")                 \
	X(EES10_REQUEST, -520, "ES10: request does not follow its ASN.1 (answered 6A 80)")  \
	X(EES10_HOST, -521, "ES10: the eUICC host returned data the ISD-R cannot encode")   \
	X(ESAIP_UNSUPPORTED, -507, "SAIP: the package uses a template or file feature this installer does not support") \
	X(ESAIP_TEMPLATE, -508, "SAIP: the template cannot be personalised (see the message for which element)") \
	X(EAPDU_SHORT, -300, "APDU: shorter than the 4-octet header CLA INS P1 P2")         \
	X(EAPDU_LEN, -301, "APDU: Lc/Le fields do not match the APDU's length")             \
	X(EAPDU_CLA, -302, "APDU: class byte not supported")                                \
	X(EAPDU_INS, -303, "APDU: invalid instruction byte (6X or 9X)")                     \
	X(EAPDU_CHANNEL, -304, "APDU: logical channel not supported (only 0..3)")           \
	X(EAPDU_SM, -305, "APDU: secure messaging not supported")                           \
	X(EAPDU_CHAINING, -306, "APDU: command chaining not supported")                     \
	X(EAPDU_P1P2, -307, "APDU: P1-P2 not valid for this command")                       \
	X(ECARD_CLOSED, -308, "card: command on a logical channel that is not open")       \
	X(ECARD_NODATA, -309, "card: GET RESPONSE without response data pending")          \
	X(ECARD_APP, -310, "card: application broke its contract (length, status word)")   \
	X(ECARD_NOCHAN, -311, "card: no logical channel left to open")                     \
	X(ECARD_UNHANDLED, -312, "card: command not handled by this application (route it to another)") \
	X(ECARD_FS_CORRUPT, -313, "card: file system image is corrupt, truncated or not a file system") \
	X(ECARD_FS_EXISTS, -314, "card: file ID, SFI or AID already used in that DF")      \
	X(ECARD_FS_PARENT, -315, "card: parent is not a DF/ADF of this file system")      \
	X(ECARD_FS_SPACE, -316, "card: file system arena full")                            \
	X(ECARD_FS_PARAM, -317, "card: file parameters not valid (FID, size, records, SFI, LCSI)") \
	X(ETRANSPORT_ADDR, -600, "transport: address not valid (HOST:PORT or socket path)") \
	X(ETRANSPORT_IO, -601, "transport: socket error (connect, bind, read or write failed)") \
	X(ETRANSPORT_FRAME, -602, "transport: peer broke the framing (length or control byte)") \
	X(ETRANSPORT_INUSE, -603, "transport: socket path is served by another live process") \
	X(ECTRL_REFUSED, -610, "CTRL: the peer answered ERROR to a command")                \
	X(ECTRL_PROTO, -611, "CTRL: reply malformed or not answering the command sent")     \
	X(EGSUP_TIMEOUT, -612, "GSUP: no connection or no answer from the HLR in time")    \
	X(EGSUP_PROTO, -613, "GSUP: answer malformed or not matching the request")         \
	X(EGSUP_UNAVAILABLE, -614, "GSUP: this simfleet was built without libosmo-gsup-client") \
	X(EGSUP_SERVER_UNAVAILABLE, -615, "GSUP: this simfleet was built without libosmogsm (auc serve --gsup)") \
	X(EGSUP_PEER, -616, "GSUP: a peer broke the IPA framing or sent GSUP that does not decode") \
	X(ENET_LISTEN, -620, "net: cannot listen on the address (in use, not local, or no permission)") \
	X(ENET_TLS, -621, "net: TLS certificate or key cannot be loaded, or they do not match") \
	X(ENET_TOKENS, -622, "net: tokens file missing, not private (0600), empty or malformed") \
	X(ECRYPTO_KEY, -700, "crypto: key not valid (malformed PEM/DER, not an EC key, no private part)") \
	X(ECRYPTO_CURVE, -701, "crypto: curve not supported or keys on different curves (P-256, brainpoolP256r1)") \
	X(ECRYPTO_POINT, -702, "crypto: public point not valid (not 04||X||Y of 65 octets, or not on the curve)") \
	X(ECRYPTO_SIG_FORMAT, -703, "crypto: signature malformed (not 64-octet r||s, or not a DER ECDSA-Sig-Value)") \
	X(ECRYPTO_SIG, -704, "crypto: signature does not verify with this public key") \
	X(ECRYPTO_BSP_MAC, -705, "BSP: segment C-MAC does not verify (scp03tSecurityError)") \
	X(ECRYPTO_BSP_FORMAT, -706, "BSP: segment malformed: tag, length, block size or padding (scp03tStructureError)") \
	X(ECRYPTO_CRT, -707, "BSP: CRT key type/length not supported (only AES 88, 16 octets)") \
	X(ECRYPTO_BACKEND, -708, "crypto: the host crypto library (OpenSSL) refused the operation") \
	X(EPKI_FORMAT, -720, "PKI: certificate malformed (not PEM/DER X.509, or an extension does not decode)") \
	X(EPKI_UNKNOWN_CI, -721, "PKI: the chain does not lead to the trusted CI (authority key identifier)") \
	X(EPKI_CHAIN, -722, "PKI: chain incomplete or too long (issuer certificate missing)") \
	X(EPKI_SIG, -723, "PKI: a certificate signature does not verify with its issuer's key") \
	X(EPKI_VALIDITY, -724, "PKI: a certificate is expired or not yet valid") \
	X(EPKI_USAGE, -725, "PKI: key usage, extended key usage or basic constraints not allowed for this place") \
	X(EPKI_ROLE, -726, "PKI: certificate policy is not the GSMA role expected (id-rspRole-*)") \
	X(EPKI_EID, -727, "PKI: EID not valid or outside the EUM's permitted EID prefix") \
	X(EAUC_UNKNOWN, -420, "AuC: no subscriber with this IMSI") \
	X(EAUC_SUSPENDED, -421, "AuC: subscriber is suspended: no vectors or resync until resumed") \
	X(EAUC_MASTER_KEY, -422, "AuC: the master key does not open this database (wrong key file)") \
	X(EAUC_KEYFILE, -423, "AuC: master key file missing, not 32 octets (64 hex digits) or not private (0600)") \
	X(EAUC_DB_EXISTS, -424, "AuC: database file already exists") \
	X(EAUC_DUPLICATE, -425, "AuC: IMSI already provisioned, or twice in the same import") \
	X(EAUC_SCHEMA, -426, "AuC: not an AuC database, or written by a newer simfleet") \
	X(EAUC_DB, -427, "AuC: database error (SQLite)") \
	X(EAUC_BUSY, -428, "AuC: database locked by another writer") \
	X(EAUC_INVALID, -429, "AuC: subscriber record not valid (IMSI, ICCID, algorithm parameters or IND)") \
	X(ERSP_FORMAT, -530, "RSP: message does not follow RSPDefinitions (not strict DER, element missing or wrong)") \
	X(ERSP_CERT, -531, "RSP: the peer's certificate chain does not verify (invalidCertificate)") \
	X(ERSP_SIG, -532, "RSP: a GSMA signature does not verify (invalidSignature)") \
	X(ERSP_CURVE, -533, "RSP: certificate key on a curve this side does not support (unsupportedCurve)") \
	X(ERSP_NO_SESSION, -534, "RSP: no session in the state this function needs (noSessionContext)") \
	X(ERSP_CHALLENGE, -535, "RSP: challenge does not match the session's (euiccChallenge or serverChallenge)") \
	X(ERSP_CI_UNKNOWN, -536, "RSP: no common CI public key identifier (ciPKUnknown)") \
	X(ERSP_TRANSACTION, -537, "RSP: transactionId does not match the session's") \
	X(ERSP_ADDRESS, -538, "RSP: SM-DP+ address does not match") \
	X(ERSP_CC, -539, "RSP: confirmation code required but missing, or its hash does not match") \
	X(ERSP_EUICC_ERROR, -540, "RSP: the eUICC answered with an error code instead of a signed response") \
	X(ESMDP_UNKNOWN, -560, "SM-DP+: no such profile (ICCID) in this operator's inventory, or no such eUICC") \
	X(ESMDP_STATE, -561, "SM-DP+: the profile is not in a state that allows this operation") \
	X(ESMDP_NONE_AVAILABLE, -562, "SM-DP+: no available profile of this profile type") \
	X(ESMDP_EID, -563, "SM-DP+: the order is bound to another EID") \
	X(ESMDP_MATCHING_ID, -564, "SM-DP+: matchingId unknown, not released, or already in use") \
	X(ESMDP_EXPIRED, -565, "SM-DP+: the download order has expired") \
	X(ESMDP_ATTEMPTS, -566, "SM-DP+: too many download attempts or confirmation code failures") \
	X(ESMDP_CC, -567, "SM-DP+: confirmation code missing or wrong") \
	X(ESMDP_DUPLICATE, -568, "SM-DP+: a profile with this ICCID is already in the inventory") \
	X(ESMDP_SCHEMA, -569, "SM-DP+: not an SM-DP+ database, or written by a newer simfleet") \
	X(ESMDP_DB, -570, "SM-DP+: database error (SQLite)") \
	X(ESMDP_BUSY, -571, "SM-DP+: database locked by another writer") \
	X(ESMDP_PACKAGE, -572, "SM-DP+: file is not a SAIP profile package with a ProfileHeader ICCID") \
	X(ESMDP_CONFIG, -573, "SM-DP+: configuration file or operator credentials not valid") \
	X(EIPA_AC, -580, "IPA: activation code malformed (expected [LPA:]1$SMDP$MATCHINGID[$OID[$CCFLAG]])") \
	X(EIPA_SW, -581, "IPA: the eUICC answered an unexpected status word") \
	X(EIPA_RESPONSE, -582, "IPA: the eUICC's ES10 response is malformed or not the one expected") \
	X(EIPA_REFUSED, -583, "IPA: the eUICC refused the ES10 function (an error result)") \
	X(EIPA_BPP, -584, "IPA: bound profile package malformed (BF36 structure)") \
	X(EIPA_INSTALL, -585, "IPA: profile installation failed (ProfileInstallationResult errorResult)") \
	X(EIPA_CC_REQUIRED, -586, "IPA: the SM-DP+ requires a confirmation code and none was given") \
	X(EIPA_ES9P, -587, "IPA: the SM-DP+ refused the ES9+ function (functionExecutionStatus not success)") \
	X(EIPA_HTTP, -588, "IPA: ES9+ request failed: connection, HTTP status or malformed JSON answer") \
	X(EIPA_TLS, -589, "IPA: the SM-DP+'s TLS certificate does not verify against the trust anchor") \
	X(EIPA_PCSC, -590, "IPA: PC/SC failed (pcscd not running, no reader, no card, or transmit error)") \
	X(EIPA_NO_PCSC, -591, "IPA: this simfleet was built without PC/SC (libpcsclite)") \
	X(EIPA_NO_DEFAULT_DP, -592, "IPA: the eUICC has no default SM-DP+ address (and no activation code was given)")

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
