/*
 * Compile-time limits of the card engine (module `card`).
 *
 * These sizes are part of struct sf_card, so every translation unit that uses
 * the card engine must see the same values: override them for the whole build
 * (e.g. `-DSF_CARD_MAX_RESPONSE=8192` in CMAKE_C_FLAGS), never per file.
 */
#ifndef SIMFLEET_CARD_CONFIG_H
#define SIMFLEET_CARD_CONFIG_H

/* Largest response data field an application may produce for one command, in
 * octets.  Short commands see it in pieces of at most 256 through 61xx and
 * GET RESPONSE; extended-length commands can take it in one R-APDU.  It is
 * also the size of the one response buffer each card carries (the bulk of
 * sizeof(struct sf_card)).  256 .. 65535. */
#ifndef SF_CARD_MAX_RESPONSE
#define SF_CARD_MAX_RESPONSE 4096
#endif

/* Octets of per-logical-channel state each card keeps for its applications
 * (current DF/EF, selected application, ...): see sf_card_chan_state().
 * Aligned for any object type. */
#ifndef SF_CARD_CHAN_STATE_SIZE
#define SF_CARD_CHAN_STATE_SIZE 64
#endif

#endif
