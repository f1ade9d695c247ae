/*
 * itinerad configuration: the operator's config file as one struct per section, gathered in
 * struct itin_config for the daemon and itinerad-db. Every option is declared once, in
 * config_options.def (X-macros), from which the structs, parsing, defaults and the reference
 * documentation follow. This module only parses and validates; it opens no sockets and knows
 * nothing of SMPP, GSUP or SQL.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ITIN_MAX_SMPP_LINKS 8
#define ITIN_LINK_NAME_MAX 32		/* characters of an [smpp NAME] */
#define ITIN_MAX_KEYWORDS 16
#define ITIN_MAX_DOMESTIC_MCC 8
#define ITIN_MAX_COUNTRY_CODES 8
#define ITIN_MAX_KEYS 2			/* the current key and the previous one */
#define ITIN_KEY_ID_MAX 32767		/* key ids are stored as smallint */
#define ITIN_SECRET_MIN_LEN 32
#define ITIN_SECRET_MIN_BITS 128

enum itin_lang {
	ITIN_LANG_ZH,
	ITIN_LANG_EN,
};

enum itin_smpp_bind_mode {
	ITIN_SMPP_BIND_TRANSCEIVER,	/* one bind_transceiver session */
	ITIN_SMPP_BIND_SPLIT,		/* a bind_transmitter and a bind_receiver session */
};

struct itin_mcc_list {
	uint16_t mcc[ITIN_MAX_DOMESTIC_MCC];
	unsigned num;
};

struct itin_rate {
	unsigned count;			/* 0: no limit (a CAP option set to off) */
	unsigned period_s;
};

struct itin_cc_list {
	char cc[ITIN_MAX_COUNTRY_CODES][4];	/* E.164 country codes, "852" */
	unsigned num;
};

/* One operator secret and its id, from hmac_secret (id 1) or a line "ID SECRET" of
 * hmac_secret_file. */
struct itin_secret_key {
	unsigned id;
	char *secret;
};

struct itin_words {
	char *word[ITIN_MAX_KEYWORDS];
	unsigned num;
};

/* The C type of a field, by the option's type in config_options.def. */
#define ITIN_CFG_CTYPE_STRING		char *	/* never NULL: empty = unset */
#define ITIN_CFG_CTYPE_STRING_8		char *	/* the SMPP bind's C-Octet Strings: checked lengths */
#define ITIN_CFG_CTYPE_STRING_12	char *
#define ITIN_CFG_CTYPE_STRING_15	char *
#define ITIN_CFG_CTYPE_UINT		unsigned
#define ITIN_CFG_CTYPE_BOOL		bool
#define ITIN_CFG_CTYPE_DURATION		unsigned	/* seconds */
#define ITIN_CFG_CTYPE_DURATION_MS	unsigned	/* milliseconds */
#define ITIN_CFG_CTYPE_PORT		uint16_t
#define ITIN_CFG_CTYPE_LANG		enum itin_lang
#define ITIN_CFG_CTYPE_MCC_LIST		struct itin_mcc_list
#define ITIN_CFG_CTYPE_RATE		struct itin_rate
#define ITIN_CFG_CTYPE_CAP		struct itin_rate	/* count 0: off */
#define ITIN_CFG_CTYPE_CC_LIST		struct itin_cc_list
#define ITIN_CFG_CTYPE_BIND_MODE	enum itin_smpp_bind_mode
#define ITIN_CFG_CTYPE_WORDS		struct itin_words

/* One struct per [section] of config_options.def: struct itin_database_config,
 * itin_privacy_config, itin_service_config, itin_sms_config, itin_feed_config, itin_keywords_config,
 * itin_gsup_config, itin_instance_config, itin_admin_config. Each part of the program is handed
 * only the sections it
 * reads; see config_options.def for what each field means. */
#define ITIN_SECTION(section) struct itin_##section##_config {
#define ITIN_OPTION(section, key, type, field, def, doc) ITIN_CFG_CTYPE_##type field;
#define ITIN_SECTION_END(section) };
#include "common/config_options.def"

/* One SMSC link ([smpp NAME] section). */
struct itin_smpp_link_config {
	char *name;
#define ITIN_LINK_OPTION(key, type, field, def, doc) ITIN_CFG_CTYPE_##type field;
#include "common/config_options.def"
};

/* The [smpp NAME] sections, in the order of the file. */
struct itin_smpp_config {
	struct itin_smpp_link_config link[ITIN_MAX_SMPP_LINKS];
	unsigned num;
};

/* The replies' texts of one language ([templates zh], [templates en]): NULL means the built-in
 * default of the engine. Indexed by enum itin_lang wherever two are handed on. */
struct itin_templates {
#define ITIN_TEMPLATE_OPTION(key, field, doc) char *field;
#include "common/config_options.def"
};

/* The operator secrets [privacy] names, read at load time. */
struct itin_keys {
	struct itin_secret_key key[ITIN_MAX_KEYS];	/* [0] current (highest id), [1] previous */
	unsigned num;
};

/* The whole file: owned by the programs (daemon/main.c, daemon/itinerad_db.c), which hand
 * each part its sections. */
struct itin_config {
	char *path;			/* the file it was read from */
#define ITIN_SECTION(section) struct itin_##section##_config section;
#include "common/config_options.def"
	struct itin_keys keys;		/* from [privacy] hmac_secret_file or hmac_secret */
	struct itin_templates templates[2];	/* [templates zh] and [templates en] */
	struct itin_smpp_config smpp;	/* [smpp NAME], repeated */
};

/*
 * Parse FILE into a new config (a talloc child of ctx). On error, return NULL and write
 * "FILE:LINE: reason" into err. A NULL path gives the built-in defaults.
 */
struct itin_config *itin_config_load(void *ctx, const char *path, char *err, size_t err_len);

/* True when an SMS from this E.164 number (digits, no '+') is answered: it is of the home
 * country_code or of one of reply_country_codes. */
bool itin_config_answers_number(const struct itin_service_config *service, const char *e164);

/* True when mcc is one of the configured domestic MCCs. */
bool itin_config_mcc_is_domestic(const struct itin_service_config *service, uint16_t mcc);

/* Longest host name or address in a HOST:PORT setting (a DNS name is at most 253). */
#define ITIN_HOST_MAX 255

/* Split "HOST:PORT", "ADDRESS:PORT" or "[IPV6]:PORT" (the brackets dropped) into host and port
 * (1 to 65535). -EINVAL when it is none of these or does not fit. */
int itin_config_split_address(const char *address, char *host, size_t host_len, char *port,
			      size_t port_len);

/* Calls changed() for each setting of loaded that differs from running and that a reload does
 * not apply ([database], [instance], [admin], the [smpp NAME] links, [gsup] host, port and
 * euse_name, [service] time_zone), described as "[admin] listen changed", "[smpp b] added"
 * or "[smpp a] removed". The keys are compared by the caller. */
void itin_config_restart_changes(const struct itin_config *running,
				 const struct itin_config *loaded,
				 void (*changed)(void *arg, const char *setting), void *arg);

/* Write the reference of every option (section, key, type, default, description) to f. */
void itin_config_print_reference(FILE *f);

const char *itin_lang_name(enum itin_lang lang);
