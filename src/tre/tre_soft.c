/*
 * The software TRE backend: a 256-bit device key in a 0600 file, AES-256-GCM
 * sealing.  Not tamper resistant — it says so when opened — and meant for
 * development, tests and simulated fleets.  A TPM 2.0 backend replaces it
 * behind struct sf_tre.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "simfleet/crypto.h"
#include "simfleet/err.h"
#include "simfleet/log.h"
#include "simfleet/rng.h"
#include "simfleet/tre.h"
#include "simfleet/util.h"

#define SEAL_VERSION 1

struct soft {
	uint8_t key[32];
};

static int soft_seal(void *impl, const uint8_t *aad, size_t aad_len, const uint8_t *pt,
		     size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	struct soft *s = impl;
	if (pt_len > SIZE_MAX - SF_TRE_SEAL_OVERHEAD || out_cap < pt_len + SF_TRE_SEAL_OVERHEAD)
		return SF_EBUFSIZE;
	out[0] = SEAL_VERSION;
	int rc = sf_rng_fill(sf_rng_system(), out + 1, SF_GCM_NONCE_LEN);
	if (rc)
		return rc;
	rc = sf_aes256gcm_seal(s->key, out + 1, aad, aad_len, pt, pt_len, out + 13,
			       out + 13 + pt_len);
	if (rc == 0)
		*out_len = pt_len + SF_TRE_SEAL_OVERHEAD;
	return rc;
}

static int soft_unseal(void *impl, const uint8_t *aad, size_t aad_len, const uint8_t *in,
		       size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	struct soft *s = impl;
	if (in_len < SF_TRE_SEAL_OVERHEAD || in[0] != SEAL_VERSION)
		return SF_ECRYPTO_AUTH;
	size_t n = in_len - SF_TRE_SEAL_OVERHEAD;
	if (out_cap < n) {
		*out_len = n;
		return SF_EBUFSIZE;
	}
	int rc = sf_aes256gcm_open(s->key, in + 1, aad, aad_len, in + 13, n, in + 13 + n, out);
	if (rc == 0)
		*out_len = n;
	return rc;
}

static void soft_close(void *impl)
{
	struct soft *s = impl;
	if (s) {
		sf_wipe(s, sizeof(*s));
		free(s);
	}
}

static const struct sf_tre_ops soft_ops = {"software", 0, soft_seal, soft_unseal, soft_close};

static int create_key(const char *path)
{
	uint8_t key[32];
	int rc = sf_rng_fill(sf_rng_system(), key, sizeof(key));
	if (rc)
		return rc;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		sf_wipe(key, sizeof(key));
		return errno == EEXIST ? 0 : SF_ESTORE_KEY;
	}
	ssize_t w = write(fd, key, sizeof(key));
	sf_wipe(key, sizeof(key));
	if (w != (ssize_t)sizeof(key) || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return SF_EIO;
	}
	close(fd);
	return 0;
}

int sf_tre_soft_open(struct sf_tre *tre, const char *key_path, unsigned flags)
{
	if (!tre || !key_path)
		return SF_EINVAL;
	memset(tre, 0, sizeof(*tre));
	if (flags & SF_TRE_CREATE) {
		int rc = create_key(key_path);
		if (rc)
			return rc;
	}
	int fd = open(key_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		sf_log(SF_LOG_INFO, "tre", "cannot open device key %s: %s", key_path,
		       strerror(errno));
		return SF_ESTORE_KEY;
	}
	struct stat st;
	if (!sf_file_is_private(fd) || fstat(fd, &st) != 0 || st.st_size != 32) {
		sf_log(SF_LOG_ERROR, "tre",
		       "device key %s must be a 32-octet regular file of mode 0600 owned by this user",
		       key_path);
		close(fd);
		return SF_ESTORE_KEY;
	}
	struct soft *s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return SF_ENOMEM;
	}
	ssize_t r = read(fd, s->key, sizeof(s->key));
	close(fd);
	if (r != (ssize_t)sizeof(s->key)) {
		soft_close(s);
		return SF_ESTORE_KEY;
	}
	tre->ops = &soft_ops;
	tre->impl = s;
	sf_log(SF_LOG_INFO, "tre",
	       "software TRE: the device key is a file (%s); this backend is NOT tamper resistant",
	       key_path);
	return 0;
}

void sf_tre_close(struct sf_tre *tre)
{
	if (tre && tre->ops) {
		tre->ops->close(tre->impl);
		tre->ops = NULL;
		tre->impl = NULL;
	}
}

int sf_tre_seal(const struct sf_tre *tre, const uint8_t *aad, size_t aad_len, const uint8_t *pt,
		size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (!tre || !tre->ops || (pt_len && !pt) || !out || !out_len || (aad_len && !aad))
		return SF_EINVAL;
	return tre->ops->seal(tre->impl, aad, aad_len, pt, pt_len, out, out_cap, out_len);
}

int sf_tre_unseal(const struct sf_tre *tre, const uint8_t *aad, size_t aad_len,
		  const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		  size_t *out_len)
{
	if (!tre || !tre->ops || !in || !out_len || (aad_len && !aad) || (out_cap && !out))
		return SF_EINVAL;
	return tre->ops->unseal(tre->impl, aad, aad_len, in, in_len, out, out_cap, out_len);
}

int sf_file_is_private(int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !(st.st_mode & 077) &&
	       st.st_uid == geteuid();
}
