/* The error-code table of include/simfleet/err.h, as text. */
#include "simfleet/err.h"

const char *sf_strerror(int err)
{
	switch (err) {
	case SF_OK:
		return "success";
#define SF__ERR_TEXT(name, code, text)                                                     \
	case SF_##name:                                                                    \
		return text;
		SF_ERRNO_MAP(SF__ERR_TEXT)
#undef SF__ERR_TEXT
	default:
		return "unknown error";
	}
}

const char *sf_err_name(int err)
{
	switch (err) {
	case SF_OK:
		return "OK";
#define SF__ERR_NAME(name, code, text)                                                     \
	case SF_##name:                                                                    \
		return #name;
		SF_ERRNO_MAP(SF__ERR_NAME)
#undef SF__ERR_NAME
	default:
		return "UNKNOWN";
	}
}
