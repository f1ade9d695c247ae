/*
 * itinerad configuration: one struct filled from the operator's config file, shared by the
 * daemon and itinerad-db. Every option is declared once, in config_options.def (X-macros), from
 * which parsing, defaults and the reference documentation follow. This module only parses and
 * validates; it opens no sockets and knows nothing of SMPP, GSUP or SQL.
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

/* One SMSC link ([smpp NAME] section). */
struct itin_smpp_link_config {
	char *name;
	char *host;
	uint16_t port;
	char *system_id;
	char *password;
	char *system_type;
	enum itin_smpp_bind_mode bind_mode;
	unsigned enquire_link_s;	/* our enquire_link interval */
	unsigned response_timeout_s;	/* a PDU unanswered this long drops the link */
	unsigned window;		/* outstanding submit_sm */
	unsigned submit_rate;		/* submit_sm per second, 0 = unlimited */
};

/* The replies' texts: NULL means the built-in default of the engine. */
struct itin_templates {
	char *itinerary;
	char *no_data;
	char *consent_prompt;
	char *consent_expired;
	char *cancelled;
	char *rate_limited;
	char *busy;
	char *help;
	char *shutdown;
	char *lang_switched;
	char *ussd_consent_menu;
};

struct itin_config {
	char *path;			/* the file it was read from; strings are never NULL: empty = unset */

	/* [database] */
	char *conninfo;			/* empty: the embedded cluster in var_dir/pg */
	char *var_dir;			/* state directory of the embedded database */
	unsigned pool_size;

	/* [privacy] */
	char *hmac_secret;		/* the secret given inline: key 1 */
	char *hmac_secret_file;		/* or the file of "ID SECRET" lines */
	struct itin_secret_key keys[ITIN_MAX_KEYS];	/* [0] current (highest id), [1] previous */
	unsigned num_keys;
	unsigned audit_days;

	/* [service] */
	char *country_code;		/* E.164 country code of national numbers, "86" */
	struct itin_mcc_list domestic_mcc;
	char *time_zone;		/* IANA name, "Asia/Shanghai" */
	unsigned window_days;
	bool window_ends_yesterday;
	unsigned min_stay_s;
	enum itin_lang default_lang;
	bool consent;
	unsigned consent_timeout_s;
	struct itin_rate rate_limit;	/* requests per subscriber per period */
	struct itin_rate max_replies;	/* SMS replies per period in all; count 0: no cap */
	struct itin_cc_list reply_country_codes;	/* answered besides country_code */
	unsigned max_parts;
	bool risk_marker;
	char *shutdown_date;		/* non-empty: shutdown mode, "2022.12.13" */
	unsigned reply_deadline_ms;	/* past this, the subscriber gets the "busy" text */

	/* [feed] */
	unsigned max_future_skew_s;	/* events later than the loader's clock plus this: refused */

	/* [keywords]: extra words per meaning, on top of SPEC section 2 */
	struct itin_words kw_query;

	/* [templates zh] and [templates en] */
	struct itin_templates templates[2];

	/* [smpp NAME], repeated */
	struct itin_smpp_link_config smpp[ITIN_MAX_SMPP_LINKS];
	unsigned num_smpp;
	char *short_code;		/* source address of our replies, "12306" */

	/* [gsup] */
	char *gsup_host;
	uint16_t gsup_port;
	char *euse_name;		/* IPA unit name and serial become EUSE-<name> */
	unsigned ussd_session_timeout_s;

	/* [instance]: this process among those sharing the database */
	char *instance_name;		/* appended to the host name: "host/name" */
	unsigned lease_s;

	/* [admin] */
	char *admin_listen;		/* "127.0.0.1:8080", empty = off */
	unsigned admin_max_connections;
	unsigned admin_request_timeout_s;
};

/*
 * Parse FILE into a new config (a talloc child of ctx). On error, return NULL and write
 * "FILE:LINE: reason" into err. A NULL path gives the built-in defaults.
 */
struct itin_config *itin_config_load(void *ctx, const char *path, char *err, size_t err_len);

/* True when an SMS from this E.164 number (digits, no '+') is answered: it is of the home
 * country_code or of one of reply_country_codes. */
bool itin_config_answers_number(const struct itin_config *cfg, const char *e164);

/* True when mcc is one of the configured domestic MCCs. */
bool itin_config_mcc_is_domestic(const struct itin_config *cfg, uint16_t mcc);

/* Write the reference of every option (section, key, type, default, description) to f. */
void itin_config_print_reference(FILE *f);

const char *itin_lang_name(enum itin_lang lang);
